"""One received message -> stored, duplicate or parked. Pure logic apart from the state it is given."""
from __future__ import annotations

import json
import logging
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from enum import Enum

from footfall.cloud.floor.points import floor_points
from footfall.cloud.link.linker import SiteLinker
from footfall.cloud.store.points import linked_points, points_for
from footfall.protocol import AlertMessage, CountsMessage, ProtocolError, VisitMessage, decode, encode, parse_message
from footfall.protocol.contract import period_policy
from footfall.protocol.topics import PROBE_KIND

from .state import IngestState

log = logging.getLogger(__name__)
DEAD_LETTER_TOPIC = "footfall-deadletter/v1"  # outside footfall/v1/#: the aggregator never reads its own parking
# Device clocks are NTP-synced; a message stamped further ahead than this comes from a clock that ran or stepped
# ahead. Its times are moved back by how far its `ts` (when it was made) is ahead of its arrival: right to within the
# delivery delay, where parking it would lose its counts (docs/protocol.md, "Device clocks").
MAX_FUTURE_S = 300.0
MAX_RESTAMP_S = 86400.0  # further ahead than a day is no drift but garbage or a forgery: parked
TIME_FIELDS = ("ts", "interval_start", "first_seen", "last_seen", "seen_at", "at")


class Outcome(Enum):
    STORED = "stored"
    DUPLICATE = "duplicate"
    PARKED = "parked"
    NOT_MINE = "not_mine"
    PROBE = "probe"  # a unit's `footfall-edge check` message: only its PUBACK mattered


def site_oriented(message: CountsMessage | VisitMessage) -> CountsMessage | VisitMessage:
    """A reversed entrance's message as the site sees it: its lines' in and out swapped, its visits' direction too
    (the linker starts trips at `in` visits). Zones and displays have no direction."""
    if isinstance(message, CountsMessage):
        lines = [row.model_copy(update={"in_": row.out, "out": row.in_}) for row in message.lines]
        return message.model_copy(update={"lines": lines})
    flipped = {"in": "out", "out": "in"}.get(message.direction or "", message.direction)
    return message.model_copy(update={"direction": flipped})


class Handler:
    def __init__(self, state: IngestState, sites: dict, park: Callable[[bytes], None],
                 owns: Callable[[str], bool] = lambda site: True, clock: Callable[[], float] = time.time,
                 on_alert: Callable[[AlertMessage], object] | None = None):
        """`sites`: site id -> cloud.config.Site. `on_alert`: a stored recognition alert (cloud/alerts webhooks)."""
        self.on_alert = on_alert
        self.state = state
        self.sites = sites
        self.linkers = {sid: SiteLinker(site, clock) for sid, site in sites.items()}
        self.park_fn = park
        self.owns = owns
        self.clock = clock
        self.parked: Counter[str] = Counter()
        self.counts: Counter[str] = Counter()
        self.late: Counter[tuple[str, str]] = Counter()  # (site, device) -> coded visits too late to link
        self.restamped: Counter[tuple[str, str]] = Counter()  # (site, device) -> messages from a clock ahead
        self._late_logged: set[tuple[str, str, str]] = set()
        self.reversed = {sid: set(site.reversed_entrances) for sid, site in sites.items()}
        for sid, linker in self.linkers.items():
            self._restore(sid, linker)

    def _restore(self, site: str, linker: SiteLinker) -> None:
        """Rebuild the linker from the checkpoint. Linking is order-independent, so replaying the kept visits gives
        the visitors and per-minute totals the linker had; periods whose grace ran out meanwhile are wiped."""
        linker.restore_began(self.state.periods_began(site))
        linker.expire()
        for payload in self.state.checkpointed(site):
            v = decode(payload)
            if v.period in linker.periods:
                linker.add(v)
        linker.late.clear()
        self._persist_periods(site, linker)

    def _persist_periods(self, site: str, linker: SiteLinker) -> None:
        for period, at in linker.began.items():
            self.state.period_began(site, period, at)
        linker.began.clear()
        for period in linker.expired:
            self.state.wipe(site, period)
        linker.expired.clear()

    def handle(self, topic: str, payload: bytes) -> Outcome:
        if topic.rpartition("/")[2] == PROBE_KIND:
            return self._count(Outcome.PROBE)
        kept = payload  # what the linker's checkpoint keeps of a coded visit
        try:
            message = parse_message(topic, payload)
            if message.site not in self.sites:
                raise ProtocolError("site", f"unknown site {message.site!r}")
            ahead = message.ts.timestamp() - self.clock()
            if ahead > MAX_RESTAMP_S:
                raise ProtocolError("ts", f"{message.ts.isoformat()} is more than a day in the future")
            if ahead > MAX_FUTURE_S:
                message, kept = self._restamp(message, ahead)
            if message.device in self.reversed.get(message.site, ()) and isinstance(message, (CountsMessage, VisitMessage)):
                message = site_oriented(message)
                kept = encode(message)
            policy = self.sites[message.site].linkability
            if isinstance(message, VisitMessage) and message.period and period_policy(message.period) != policy:
                # codes linkable for longer than the site allows never reach the linker
                raise ProtocolError("period", f"{period_policy(message.period)} code period but site {message.site!r} "
                                              f"allows {policy} linking")
        except ProtocolError as e:
            return self._park(topic, payload, e)
        if not self.owns(message.site):
            return self._count(Outcome.NOT_MINE)
        if self.state.seen(message.msg_id):
            return self._count(Outcome.DUPLICATE)
        lines, checkpoint, late = points_for(message), None, False
        if isinstance(message, CountsMessage):
            lines += floor_points(message, self.sites[message.site])
        linker = self.linkers[message.site]
        linker.expire()  # periods close on time even while a site sends no coded visits
        if isinstance(message, VisitMessage) and message.code is not None:
            changes = linker.add(message)
            if linker.last == "linked":
                lines += linked_points(changes)
                checkpoint = (message.site, message.period, kept)
            late = linker.last == "late"
        if not self.state.accept(message.msg_id, lines, checkpoint):
            return self._count(Outcome.DUPLICATE)
        self._persist_periods(message.site, linker)
        if late:
            self._late(message)
        if self.on_alert is not None and isinstance(message, AlertMessage):
            self.on_alert(message)
        return self._count(Outcome.STORED)

    def _restamp(self, message, ahead: float):
        """The message with its times moved back by `ahead` seconds, and its payload re-encoded (the linker's
        checkpoint keeps the payload). Counted per device and logged once per device."""
        shift = timedelta(seconds=ahead)
        moved = message.model_copy(update={f: getattr(message, f) - shift for f in TIME_FIELDS
                                           if getattr(message, f, None) is not None})
        self.restamped[(message.site, message.device)] += 1
        if self.restamped[(message.site, message.device)] == 1:
            log.warning("%s/%s: device clock %.0f s ahead; its messages are re-stamped by their arrival time (check "
                        "its NTP)", message.site, message.device, ahead)
        return moved, encode(moved)

    def _late(self, v: VisitMessage) -> None:
        """A coded visit whose period closed: stored as a visit (footfall), not linked; counted durably per device and
        period for the fleet's alerts, and logged once per device and period."""
        self.late[(v.site, v.device)] += 1
        self.state.late(v.site, v.device, v.period)
        if (v.site, v.device, v.period) not in self._late_logged:
            self._late_logged.add((v.site, v.device, v.period))
            log.warning("late visits from %s/%s: period %s closed %.0f s after the next began (link_grace_s); stored as "
                        "visits, not linked (further ones are counted)", v.site, v.device, v.period,
                        self.sites[v.site].link_grace_s)

    def _count(self, outcome: Outcome) -> Outcome:
        self.counts[outcome.value] += 1
        return outcome

    def _park(self, topic: str, payload: bytes, error: ProtocolError) -> Outcome:
        """Durably recorded (state: reason, topic, size, first bytes; counts per kind), then announced on the
        dead-letter topic. Logged once per kind of problem."""
        key = f"{error.field}: {error.reason.split(':')[0]}"[:120]
        if key not in self.parked:
            log.warning("parked a bad message on %s: %s (further ones of this kind are counted, not logged)", topic[:200], error)
        self.parked[key] += 1
        reason, head = str(error)[:500], payload[:256].decode("utf-8", "replace")
        self.state.park(key, reason, topic[:300], len(payload), head)
        self.park_fn(json.dumps({"reason": reason, "topic": topic[:300], "bytes": len(payload), "head": head}).encode())
        return self._count(Outcome.PARKED)


