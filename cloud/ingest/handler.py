"""One received message -> stored, duplicate or parked. Pure logic apart from the state it is given."""
from __future__ import annotations

import json
import logging
import time
from collections import Counter
from collections.abc import Callable
from enum import Enum

from footfall.cloud.link.linker import SiteLinker
from footfall.cloud.store.points import linked_points, points_for
from footfall.protocol import ProtocolError, VisitMessage, decode, parse_message
from footfall.protocol.contract import period_policy

from .state import IngestState

log = logging.getLogger(__name__)
DEAD_LETTER_TOPIC = "footfall-deadletter/v1"  # outside footfall/v1/#: the aggregator never reads its own parking
MAX_FUTURE_S = 300.0  # device clocks are NTP-synced; further ahead is a broken clock or a forgery


class Outcome(Enum):
    STORED = "stored"
    DUPLICATE = "duplicate"
    PARKED = "parked"
    NOT_MINE = "not_mine"


class Handler:
    def __init__(self, state: IngestState, sites: dict, park: Callable[[bytes], None],
                 owns: Callable[[str], bool] = lambda site: True, clock: Callable[[], float] = time.time):
        """`sites`: site id -> cloud.config.Site."""
        self.state = state
        self.sites = sites
        self.linkers = {sid: SiteLinker(site, clock) for sid, site in sites.items()}
        for sid, linker in self.linkers.items():  # rebuild the visitor index from the checkpoint
            for payload in state.checkpointed(sid):
                linker.add(decode(payload))
        self.park_fn = park
        self.owns = owns
        self.clock = clock
        self.parked: Counter[str] = Counter()
        self.counts: Counter[str] = Counter()

    def handle(self, topic: str, payload: bytes) -> Outcome:
        try:
            message = parse_message(topic, payload)
            if message.site not in self.sites:
                raise ProtocolError("site", f"unknown site {message.site!r}")
            if message.ts.timestamp() > self.clock() + MAX_FUTURE_S:
                raise ProtocolError("ts", f"{message.ts.isoformat()} is in the future")
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
        lines, checkpoint = points_for(message), None
        if isinstance(message, VisitMessage) and message.code is not None:
            linker = self.linkers[message.site]
            lines += linked_points(linker.add(message))
            checkpoint = (message.site, message.period, payload)
            for period in linker.expired:
                self.state.wipe(message.site, period)
            linker.expired.clear()
        if not self.state.accept(message.msg_id, lines, checkpoint):
            return self._count(Outcome.DUPLICATE)
        return self._count(Outcome.STORED)

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


