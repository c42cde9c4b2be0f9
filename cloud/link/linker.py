"""Anonymous visitors from visit codes, per site and period, as additive per-minute aggregates.

- unique: a visitor counted once, at the minute of their first visit (per site, and per store they entered);
- returning: a visitor whose second trip starts (an `in` visit at one of the site's entrances), or who enters a
  store again after being away from it for at least `STORE_RETURN_S`;
- flows: a visitor moving from one store / zone to the next, counted at the minute they arrive.
Sums over any time range of one period are exact: Grafana and the API add minutes up. Codes stay in this memory
(and in the ingest state's checkpoint, wiped with the period); only the aggregates leave.
"""
from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field

from influxdb_client import Point, WritePrecision

from footfall.cloud.config import Site
from footfall.protocol import VisitMessage

from .index import CodeIndex

STORE_RETURN_S = 120.0
GRACE_S = 1800.0  # an older period stays this long after a newer one appears, for late visits


@dataclass
class Visitor:
    trips: int = 0
    last_place: str | None = None
    last_seen: float = 0.0
    stores: dict[str, float] = field(default_factory=dict)  # store -> last seen there


@dataclass
class _Period:
    index: CodeIndex
    visitors: list[Visitor] = field(default_factory=list)
    minutes: dict[tuple, dict[str, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    expires: float | None = None


class SiteLinker:
    def __init__(self, site: Site, max_distance: int = 172, clock=time.time):
        self.site = site
        self.store_of = {z: s.id for s in site.stores for z in s.zones}
        self.entrances = set(site.entrances)
        self.max_distance = max_distance
        self.clock = clock
        self.periods: dict[str, _Period] = {}
        self.expired: list[str] = []  # periods dropped; the caller wipes their checkpoint rows

    def _period(self, pid: str) -> _Period:
        if pid not in self.periods:
            for other, p in self.periods.items():
                if other < pid and p.expires is None:
                    p.expires = self.clock() + GRACE_S
            self.periods[pid] = _Period(CodeIndex(self.max_distance))
        now = self.clock()
        for other in [k for k, p in self.periods.items() if p.expires is not None and p.expires <= now]:
            del self.periods[other]
            self.expired.append(other)
        return self.periods[pid]

    def add(self, v: VisitMessage) -> list[str]:
        """Link one coded visit; returns the line-protocol points it changed (current values, idempotent)."""
        p = self._period(v.period)
        hit = p.index.nearest(v.code)
        if hit is None:
            vid = len(p.visitors)
            p.visitors.append(Visitor())
        else:
            vid = hit[0]
        p.index.add(v.code, vid)
        who = p.visitors[vid]
        first, last = v.first_seen.timestamp(), v.last_seen.timestamp()
        minute = int(first // 60 * 60)
        touched = []

        def bump(scope_tags: tuple, field_name: str) -> None:
            key = ("footfall_visitors", scope_tags, minute)
            p.minutes[key][field_name] += 1
            touched.append(key)

        site_scope = (("scope", "site"), ("site", self.site.id))
        if hit is None:
            bump(site_scope, "unique")
        if v.device in self.entrances and v.direction == "in":
            who.trips += 1
            if who.trips == 2:
                bump(site_scope, "returning")
        store = self.store_of.get(v.zone or "")
        if store:
            scope = (("scope", store), ("site", self.site.id))
            before = who.stores.get(store)
            if before is None:
                bump(scope, "unique")
            elif first - before >= STORE_RETURN_S:
                bump(scope, "returning")
            who.stores[store] = max(last, before or 0.0)
        place = store or v.zone or v.device
        if who.last_place is not None and who.last_place != place:
            key = ("footfall_flow", (("from", who.last_place), ("site", self.site.id), ("to", place)), minute)
            p.minutes[key]["moves"] += 1
            touched.append(key)
        who.last_place, who.last_seen = place, last
        return [self._line(key, p.minutes[key]) for key in dict.fromkeys(touched)]

    @staticmethod
    def _line(key: tuple, fields: dict[str, int]) -> str:
        measurement, tags, minute = key
        pt = Point(measurement)
        for k, val in tags:
            pt = pt.tag(k, val)
        for k, val in fields.items():
            pt = pt.field(k, val)
        return pt.time(minute * 1_000_000_000, WritePrecision.NS).to_line_protocol(precision=WritePrecision.NS)
