"""Wire messages and the linker's aggregates -> InfluxDB line protocol. The one place that decides what reaches the
database (measurements: docs/influx-schema.md).

Only aggregates are written: a visit contributes to per-interval counts and dwell, never its code, and no tag or
field is ever built from a message's free-form values beyond the ids the protocol restricts to [a-z0-9_-].
Counts points carry the interval start as their time, so a redelivered message rewrites the same point.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from influxdb_client import Point, WritePrecision

from footfall.cloud.link.linker import Flow, Visitors
from footfall.cloud.store.audience_points import audience_points
from footfall.protocol import AlertMessage, AuditMessage, CountsMessage, HealthMessage, VisitMessage


def _line(p: Point) -> str:
    return p.to_line_protocol(precision=WritePrecision.NS)


def _at(p: Point, ts: datetime, ns: int = 0) -> Point:
    return p.time(int(ts.timestamp()) * 1_000_000_000 + ns, WritePrecision.NS)


def counts_points(m: CountsMessage) -> list[str]:
    base = {"site": m.site, "device": m.device}
    out = []
    for row in m.lines:
        out.append(_line(_at(Point("footfall_line").tag("site", m.site).tag("device", m.device).tag("line", row.line)
                             .field("in", row.in_).field("out", row.out), m.interval_start)))
    for z in m.zones:
        p = Point("footfall_zone")
        for k, v in {**base, "zone": z.zone}.items():
            p = p.tag(k, v)
        for k in ("entries", "exits", "occupancy_max", "dwell_n"):
            p = p.field(k, getattr(z, k))
        if z.staff_wait_n is not None:  # staff recognition on: waits until staff were present
            p = p.field("staff_wait_s_sum", float(z.staff_wait_s_sum or 0)).field("staff_wait_n", z.staff_wait_n)
            p = p.field("unattended", z.unattended or 0)
        out.append(_line(_at(p.field("occupancy_mean", float(z.occupancy_mean)).field("dwell_s_sum", float(z.dwell_s_sum)),
                             m.interval_start)))
    for d in m.displays:
        out.append(_line(_at(Point("footfall_display").tag("site", m.site).tag("device", m.device).tag("display", d.display)
                             .field("passers", d.passers).field("viewers", d.viewers)
                             .field("look_s_sum", float(d.look_s_sum)), m.interval_start)))
    if m.visitors is not None:
        out.append(_line(_at(Point("footfall_device_visitors").tag("site", m.site).tag("device", m.device)
                             .field("unique", m.visitors.unique).field("returning", m.visitors.returning), m.interval_start)))
    if m.staff is not None:  # recognised staff on camera: how much, never who
        out.append(_line(_at(Point("footfall_staff").tag("site", m.site).tag("device", m.device)
                             .field("present_s", float(m.staff.present_s)).field("people", m.staff.people), m.interval_start)))
    return out + audience_points(m)


def alert_points(m: AlertMessage) -> list[str]:
    """One point per recognition alert, at its seen_at (plus the seq in ns: unique, and the same on redelivery). The
    opaque ref is stored for VIP alerts only (the member consented to the CRM link); a watchlist alert keeps no ref
    here: it goes with its ref to the security webhook alone (cloud/alerts), and a person must confirm it there."""
    p = (Point("footfall_alerts").tag("site", m.site).tag("device", m.device).tag("list", m.list)
         .field("score", float(m.score)).field("confirmed", False))
    if m.list == "vip":
        p = p.field("entry", m.entry)
    return [_line(_at(p, m.seen_at.replace(microsecond=0), m.seq % 1_000_000))]


def audit_points(m: AuditMessage) -> list[str]:
    """The cloud's copy of the unit's recognition audit log: event and list as tags, the keyed ref tag as a field
    (unreadable without the unit's gallery key), at the event's time plus the seq in ns."""
    p = (Point("footfall_recognition_audit").tag("site", m.site).tag("device", m.device).tag("list", m.list)
         .tag("event", m.event).field("ref_tag", m.ref_tag))
    return [_line(_at(p, m.at.replace(microsecond=0), m.seq % 1_000_000))]


def health_points(m: HealthMessage) -> list[str]:
    p = (Point("footfall_health").tag("site", m.site).tag("device", m.device).field("fps", float(m.fps))
         .field("uptime_s", float(m.uptime_s)).field("dropped_frames", m.dropped_frames)
         .field("outbox_depth", m.outbox_depth).field("outbox_dropped", m.outbox_dropped).field("camera", m.camera)
         .field("tracks", m.tracks).field("tracks_joined", m.tracks_joined)
         .field("crossings", m.crossings).field("crossings_uncertain", m.crossings_uncertain))
    for stage, ms in m.stage_ms.items():
        p = p.field(f"{stage}_ms", float(ms))
    if m.cpu_temp_c is not None:
        p = p.field("cpu_temp_c", float(m.cpu_temp_c))
    if m.clock_synced is not None:
        p = p.field("clock_synced", m.clock_synced)
    return [_line(_at(p, m.ts))]


def visit_points(m: VisitMessage) -> list[str]:
    """One point per visit. Its time is the last-seen second plus the device's track number in nanoseconds: unique
    per visit without a high-cardinality tag, and the same on redelivery (rewrites, never adds)."""
    p = (Point("footfall_visits").tag("site", m.site).tag("device", m.device).tag("zone", m.zone or "none")
         .tag("direction", m.direction or "none")
         .field("visits", 1).field("dwell_s", round((m.last_seen - m.first_seen).total_seconds(), 2)))
    if m.looked_s is not None:
        p = p.field("looked_s", float(m.looked_s))
    return [_line(_at(p, m.last_seen.replace(microsecond=0), m.track % 1_000_000))]


def linked_points(changes: Iterable[Visitors | Flow]) -> list[str]:
    """The linker's per-minute aggregates: the minute's current totals, every field, zeros included. A late visit
    that merges two visitors or moves a flow can lower a minute, so a point is always a rewrite of the whole value
    of its series and minute, never an addition, and a minute that drops to 0 is written as 0, not left stale."""
    out = []
    for c in changes:
        if isinstance(c, Visitors):
            p = (Point("footfall_visitors").tag("scope", c.scope).tag("site", c.site)
                 .field("unique", c.unique).field("returning", c.returning))
        else:
            p = Point("footfall_flow").tag("from", c.from_).tag("site", c.site).tag("to", c.to).field("moves", c.moves)
        out.append(_line(p.time(c.minute * 1_000_000_000, WritePrecision.NS)))
    return out


def pos_points(site: str, store: str, rows: Iterable[tuple[datetime, int, float]]) -> list[str]:
    """Point-of-sale figures a store uploads (the API): one point per store and period start, so uploading the same
    rows again rewrites them instead of adding."""
    return [_line(_at(Point("footfall_pos").tag("site", site).tag("store", store)
                      .field("transactions", int(n)).field("revenue", float(revenue)), start))
            for start, n, revenue in rows]


def points_for(message) -> list[str]:
    if isinstance(message, CountsMessage):
        return counts_points(message)
    if isinstance(message, HealthMessage):
        return health_points(message)
    if isinstance(message, VisitMessage):
        return visit_points(message)
    if isinstance(message, AlertMessage):
        return alert_points(message)
    if isinstance(message, AuditMessage):
        return audit_points(message)
    return []  # status is not a time series


def report_points(site: str, store: str, report: str, period: str, *, ok: bool, error: str, attempts: int,
                  at: float) -> list[str]:
    """One email report delivery (cloud/report): failures show in the fleet's alerts. No address, no content."""
    p = (Point("footfall_report").tag("site", site).tag("store", store).tag("report", report)
         .field("period", period).field("ok", ok).field("error", error).field("attempts", attempts))
    return [_line(p.time(int(at * 1_000_000_000), WritePrecision.NS))]
