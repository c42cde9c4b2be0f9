"""Anonymous visitors from visit codes, per site and period, as additive per-minute aggregates.

- unique: a visitor counted once, at the minute of their first visit (per site, and per store they entered);
- returning: a visitor whose second trip starts (an `in` visit at one of the site's entrances), or who enters a
  store again after being away from it for at least `STORE_RETURN_S`;
- flows: a visitor moving from one store / zone to the next, counted at the minute they arrive.

Everything is decided in the visitors' own time, never in the order messages arrive (docs/linking.md): a visitor is
the set of visits whose codes are joined by matches (the connected components of "within the match radius", so a
visit that matches two visitors merges them), and each visitor's figures are computed from their visits sorted by
first_seen. A new visit, wherever it falls in time, recomputes the figures of the visitor it joins; the per-minute
totals that changed are returned with their new values (zeros included), which the store writes as rewrites of the
same points. Any arrival order of one set of visits ends with the same totals.

Sums over any time range of one period are exact: Grafana and the API add minutes up. Codes stay in this memory
(and in the ingest state's checkpoint, wiped with the period); only the aggregates leave, as `Visitors` and `Flow`
values that cloud/store/points.py turns into points.
"""
from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass, field

from footfall.cloud.config import Site
from footfall.protocol import VisitMessage

from .index import CodeIndex

log = logging.getLogger(__name__)
STORE_RETURN_S = 120.0


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


@dataclass(frozen=True, order=True)
class Seen:
    """One linked visit, as the linker keeps it (its code lives in the index). Ordered by the visit's own time; the
    other fields only break ties, so the order is total and the same whatever the arrival order."""

    first: float
    last: float
    device: str
    track: int
    zone: str = ""
    direction: str = ""

    @classmethod
    def of(cls, v: VisitMessage) -> "Seen":
        return cls(v.first_seen.timestamp(), v.last_seen.timestamp(), v.device, v.track, v.zone or "", v.direction or "")


# contribution keys: ("visitors", scope, minute, "unique" | "returning") or ("flow", from, to, minute)
Key = tuple


@dataclass
class _Period:
    index: CodeIndex
    seen: list[Seen] = field(default_factory=list)  # by visit number (the index's owners)
    parent: list[int] = field(default_factory=list)  # union-find over visit numbers; a root is a visitor
    members: dict[int, list[int]] = field(default_factory=dict)  # root -> its visit numbers, in time order
    contrib: dict[int, Counter] = field(default_factory=dict)  # root -> what the visitor adds to the totals
    totals: Counter = field(default_factory=Counter)  # Key -> the period's current value
    known: set[Seen] = field(default_factory=set)  # visits already linked (a replay with a new msg_id changes nothing)
    began_at: float = 0.0  # when its first visit arrived (linker clock)

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i


class SiteLinker:
    """Links one site's coded visits. `clock` is arrival time (the ingest's wall clock): a period's visitors are kept
    until `site.link_grace_s` after a newer period began; visits of a period no longer kept are late: the caller
    still stores them as visits (footfall), but they join no visitor and are counted in `late`."""

    def __init__(self, site: Site, clock=time.time):
        self.site = site
        self.store_of = {z: s.id for s in site.stores for z in s.zones}
        self.entrances = set(site.entrances)
        self.max_distance = site.match_max_distance
        self.grace_s = site.link_grace_s
        self.clock = clock
        self.periods: dict[str, _Period] = {}
        self.expired: list[str] = []  # periods dropped; the caller wipes their checkpoint rows
        self.began: dict[str, float] = {}  # periods begun since the caller last looked -> when (it persists them)
        self.late: Counter[tuple[str, str]] = Counter()  # (device, period) -> visits too late to link
        self.duplicates = 0
        self.last: str = ""  # what the last add() did: "linked", "duplicate" or "late"

    # --- periods -------------------------------------------------------------------------------------------------
    # A period keeps linking until `grace_s` after the first visit of a newer period arrived (its codes rotated on the
    # devices); then it is dropped, and its visits arriving later are late. Arrival times come from `clock`.

    def restore_began(self, began: dict[str, float]) -> None:
        """When the kept periods began (from the checkpoint), so a restart does not restart anyone's grace."""
        for pid, at in began.items():
            self.periods.setdefault(pid, _Period(CodeIndex(self.max_distance), began_at=at))

    def _over(self, pid: str, now: float) -> bool:
        return any(other > pid and p.began_at + self.grace_s <= now for other, p in self.periods.items())

    def expire(self) -> list[str]:
        """Drop the periods whose grace is over; returns them (also appended to `expired`)."""
        now = self.clock()
        gone = [pid for pid in self.periods if self._over(pid, now)]
        for pid in gone:
            del self.periods[pid]
            log.info("link %s: period %s closed (%.0f s after the next one began); its codes are dropped",
                     self.site.id, pid, self.grace_s)
        self.expired += gone
        return gone

    def is_late(self, pid: str) -> bool:
        """Too late to link: a period not kept (any more) whose successor began more than grace_s ago."""
        return pid not in self.periods and self._over(pid, self.clock())

    def _period(self, pid: str) -> _Period:
        if pid not in self.periods:
            self.periods[pid] = _Period(CodeIndex(self.max_distance), began_at=self.clock())
            self.began[pid] = self.periods[pid].began_at
        return self.periods[pid]

    # --- linking -------------------------------------------------------------------------------------------------

    def add(self, v: VisitMessage) -> list[Visitors | Flow]:
        """Link one coded visit; returns the per-minute aggregates it changed, with their current values."""
        self.expire()
        if self.is_late(v.period):
            self.late[(v.device, v.period)] += 1
            self.last = "late"
            return []
        p = self._period(v.period)
        seen = Seen.of(v)
        if seen in p.known:
            self.duplicates += 1
            self.last = "duplicate"
            return []
        self.last = "linked"
        p.known.add(seen)
        roots = {p.find(owner) for owner, _ in p.index.within(v.code)}
        i = len(p.seen)
        p.seen.append(seen)
        p.parent.append(i)
        p.index.add(v.code, i)
        before: Counter = Counter()
        visits = [i]
        for r in roots:  # the visitors this visit joins (several: they are one person, merged)
            before.update(p.contrib.pop(r))
            visits += p.members.pop(r)
            p.parent[r] = i
        visits.sort(key=p.seen.__getitem__)
        p.members[i] = visits
        p.contrib[i] = after = self._contributions([p.seen[j] for j in visits])
        changed = []
        for key in before.keys() | after.keys():
            delta = after[key] - before[key]
            if delta:
                p.totals[key] += delta
                if not p.totals[key]:
                    del p.totals[key]
                changed.append(key)
        return self._aggregates(p, changed)

    def _contributions(self, visits: list[Seen]) -> Counter:
        """What one visitor adds to the per-minute totals, from their visits in time order."""
        out: Counter = Counter()
        # Where the site's entrances are counted, a visitor of the site is someone who came in through one: a code
        # seen only elsewhere is most often a poor sighting (a turned head at a display) that matched nobody, not a
        # person the entrances missed (docs/linking.md: the sweep's unique error fell from 8-38% to 0-10%).
        entered = [s for s in visits if s.device in self.entrances and s.direction == "in"]
        if entered or not self.entrances:
            out[("visitors", "site", _minute((entered or visits)[0].first), "unique")] += 1
        trips = 0
        store_last: dict[str, float] = {}
        place_before = None
        for s in visits:
            minute = _minute(s.first)
            if s.device in self.entrances and s.direction == "in":
                trips += 1
                if trips == 2:
                    out[("visitors", "site", minute, "returning")] += 1
            store = self.store_of.get(s.zone)
            if store:
                before = store_last.get(store)
                if before is None:
                    out[("visitors", store, minute, "unique")] += 1
                elif s.first - before >= STORE_RETURN_S:
                    out[("visitors", store, minute, "returning")] += 1
                store_last[store] = max(s.last, before or s.last)
            # seen at a door without going through it or into a zone (a passer-by outside a store, someone who
            # turned back at the entrance): no place on their path
            place = store or s.zone or (s.device if s.direction else None)
            if place is None:
                continue
            if place_before is not None and place_before != place:
                out[("flow", place_before, place, minute)] += 1
            place_before = place
        return out

    def _aggregates(self, p: _Period, keys: list[Key]) -> list[Visitors | Flow]:
        out: dict[tuple, Visitors | Flow] = {}
        for key in keys:
            if key[0] == "visitors":
                _, scope, minute, _field = key
                t = p.totals
                out[("visitors", scope, minute)] = Visitors(self.site.id, scope, minute,
                                                            t[("visitors", scope, minute, "unique")],
                                                            t[("visitors", scope, minute, "returning")])
            else:
                out[key] = Flow(self.site.id, key[1], key[2], key[3], p.totals[key])
        return sorted(out.values(), key=lambda a: (type(a).__name__, a.minute, getattr(a, "scope", ""),
                                                   getattr(a, "from_", ""), getattr(a, "to", "")))

    # --- what the linker holds, for tests and a later fleet view ----------------------------------------------------

    def visitors(self, pid: str) -> int:
        p = self.periods.get(pid)
        return len(p.members) if p else 0

    def totals(self, pid: str) -> dict[Key, int]:
        p = self.periods.get(pid)
        return dict(p.totals) if p else {}


def _minute(ts: float) -> int:
    return int(ts // 60 * 60)
