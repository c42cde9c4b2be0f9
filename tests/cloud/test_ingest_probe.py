"""A unit's `footfall-edge check` message reaches the aggregator too: it is dropped unread, never parked."""
from datetime import datetime, timezone

from footfall.cloud.config import Site
from footfall.cloud.ingest.handler import Handler, Outcome
from footfall.cloud.ingest.state import IngestState
from footfall.protocol.topics import PROBE_KIND


def test_a_check_message_is_neither_stored_nor_parked(tmp_path):
    parked = []
    state = IngestState(tmp_path / "ingest.sqlite")
    handler = Handler(state, {"mall": Site(id="mall", timezone="Europe/Berlin")}, parked.append,
                      clock=lambda: datetime(2026, 11, 2, tzinfo=timezone.utc).timestamp())
    assert handler.handle(f"footfall/v1/mall/door/{PROBE_KIND}", b'{"check": true}') is Outcome.PROBE
    assert handler.handle("footfall/v1/mall/door/bogus", b"{}") is Outcome.PARKED  # other unknown kinds still are
    assert len(parked) == 1 and handler.counts["probe"] == 1
