"""Counts messages' floor grids -> `footfall_floor` points (docs/influx-schema.md): one per store, owned cell and
interval, tagged site, store, cell, device; fields person_s and tracks. Stamped with the interval start, so a
redelivery rewrites the point. Nothing per person reaches the database: the grid holds none."""
from __future__ import annotations

import logging

from influxdb_client import Point, WritePrecision

from footfall.protocol import CountsMessage

from .owners import cell_owners

log = logging.getLogger(__name__)
_warned: set[tuple[str, str, str]] = set()


def floor_points(m: CountsMessage, site) -> list[str]:
    """`site`: the cloud.config.Site the message came from. A device's cells go to every store whose plan lists the
    device, for the cells it owns there; a grid that does not match the plan's is not stored (logged once)."""
    if m.floor is None:
        return []
    out = []
    t = int(m.interval_start.timestamp()) * 1_000_000_000
    for store in site.stores:
        plan = store.floor
        if plan is None or m.device not in {c.device for c in plan.cameras}:
            continue
        if tuple(m.floor.grid) != tuple(plan.grid):
            key = (m.site, m.device, store.id)
            if key not in _warned:
                _warned.add(key)
                log.warning("%s/%s sends a %s floor grid but store %s's plan has %s: its heatmap is not stored (set "
                            "heatmap.grid in its edge.yaml to the plan's)", m.site, m.device, list(m.floor.grid),
                            store.id, list(plan.grid))
            continue
        owners = cell_owners(plan)
        for cell, person_s, tracks in m.floor.cells:
            if owners.get(cell) != m.device:
                continue  # another camera sees this cell better: its figures count, these would double them
            p = (Point("footfall_floor").tag("site", m.site).tag("store", store.id).tag("cell", str(cell))
                 .tag("device", m.device).field("person_s", float(person_s)).field("tracks", int(tracks)))
            out.append(p.time(t, WritePrecision.NS).to_line_protocol(precision=WritePrecision.NS))
    return out
