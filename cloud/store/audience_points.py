"""Opt-in audience counts (age / gender bands, display reactions) -> their own measurements (docs/influx-schema.md).
Band names come from the protocol's closed lists, so a tag can only take one of those few values."""
from __future__ import annotations

from influxdb_client import Point, WritePrecision

from footfall.protocol.messages import CountsMessage


def _line(p: Point, m: CountsMessage) -> str:
    return p.time(int(m.interval_start.timestamp()) * 1_000_000_000, WritePrecision.NS).to_line_protocol()


def audience_points(m: CountsMessage) -> list[str]:
    out = []
    if m.audience is not None:
        for attribute, counts in (("age", m.audience.age), ("gender", m.audience.gender)):
            for band, n in counts.items():
                out.append(_line(Point("footfall_audience").tag("site", m.site).tag("device", m.device)
                                 .tag("attribute", attribute).tag("band", band).field("n", n), m))
    for r in m.reactions or ():
        out.append(_line(Point("footfall_reactions").tag("site", m.site).tag("device", m.device).tag("display", r.display)
                         .field("delighted", r.delighted).field("neutral", r.neutral)
                         .field("disinterested", r.disinterested).field("look_s_sum", float(r.look_s_sum)), m))
    return out
