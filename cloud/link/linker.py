"""Anonymous visitors from visit codes, per site and period, as additive per-minute aggregates.

- unique: a visitor counted once, at the minute of their first visit (per site, and per store they entered);
- returning: a visitor whose second trip starts (an `in` visit at one of the site's entrances), or who enters a
  store again after being away from it for at least `STORE_RETURN_S`;
- flows: a visitor moving from one store / zone to the next, counted at the minute they arrive.
Sums over any time range of one period are exact: Grafana and the API add minutes up. Codes stay in this memory
(and in the ingest state's checkpoint, wiped with the period); only the aggregates leave, as `Visitors` and `Flow`
values that cloud/store/points.py turns into points.
"""
from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from footfall.cloud.config import Site
from footfall.protocol import VisitMessage

from .index import CodeIndex

STORE_RETURN_S = 120.0
GRACE_S = 1800.0  # an older period stays this long after a newer one appears, for late visits


@dataclass(frozen=True)
class Visitors:
    """Anonymous visitors of one scope (the site, or one of its stores) in the minute starting at `minute` (Unix
    seconds): the period's current totals for that minute, so writing them again changes nothing."""

    site: str
    scope: str  # "site" or a store id
    minute: int
    unique: int
    returning: int


@dataclass(frozen=True)
class Flow:
    """Visitors who moved from one place (store, zone or device) to the next, counted in the minute they arrived."""

    site: str
    from_: str
    to: str
    minute: int
    moves: int


@dataclass
class Visitor:
    trips: int = 0
    last_place: str | None = None
    stores: dict[str, float] = field(default_factory=dict)  # store -> last seen there


@dataclass
class _Period:
    index: CodeIndex
    visitors: list[Visitor] = field(default_factory=list)
    # ("visitors", scope, minute) or ("flow", from, to, minute) -> counters
    minutes: dict[tuple, Counter] = field(default_factory=lambda: defaultdict(Counter))
    expires: float | None = None


class SiteLinker:
    def __init__(self, site: Site, clock=time.time):
        self.site = site
        self.store_of = {z: s.id for s in site.stores for z in s.zones}
        self.entrances = set(site.entrances)
        self.max_distance = site.match_max_distance
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

    def add(self, v: VisitMessage) -> list[Visitors | Flow]:
        """Link one coded visit; returns the aggregates it changed, with their current values."""
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

        def bump(key: tuple, what: str) -> None:
            p.minutes[key][what] += 1
            touched.append(key)

        if hit is None:
            bump(("visitors", "site", minute), "unique")
        if v.device in self.entrances and v.direction == "in":
            who.trips += 1
            if who.trips == 2:
                bump(("visitors", "site", minute), "returning")
        store = self.store_of.get(v.zone or "")
        if store:
            before = who.stores.get(store)
            if before is None:
                bump(("visitors", store, minute), "unique")
            elif first - before >= STORE_RETURN_S:
                bump(("visitors", store, minute), "returning")
            who.stores[store] = max(last, before or 0.0)
        place = store or v.zone or v.device
        if who.last_place is not None and who.last_place != place:
            bump(("flow", who.last_place, place, minute), "moves")
        who.last_place = place
        return [self._aggregate(key, p.minutes[key]) for key in dict.fromkeys(touched)]

    def _aggregate(self, key: tuple, n: Counter) -> Visitors | Flow:
        if key[0] == "visitors":
            return Visitors(self.site.id, key[1], key[2], n["unique"], n["returning"])
        return Flow(self.site.id, key[1], key[2], key[3], n["moves"])
