import json
import logging
from datetime import datetime, timedelta, timezone

from footfall.cloud.ingest.handler import Handler, Outcome
from footfall.cloud.ingest.service import owner
from footfall.cloud.ingest.state import IngestState
from footfall.protocol import CountsMessage, LineCount, VisitMessage, encode, topic_for

NOW = datetime(2026, 11, 22, 10, 5, tzinfo=timezone.utc)


def counts(site="mall", **kw):
    return CountsMessage(site=site, device="door-1", seq=1, ts=NOW, interval_start=NOW - timedelta(minutes=1), interval_s=60,
                         lines=[LineCount(line="door", **{"in": 4}, out=1)], **kw)


def make(tmp_path, parked, sites=("mall",), owns=lambda s: True):
    from footfall.cloud.config import Site

    state = IngestState(tmp_path / "ingest.sqlite")
    sites = {s: Site(id=s, timezone="UTC") for s in sites}
    return Handler(state, sites, parked.append, owns, clock=lambda: NOW.timestamp()), state


def test_store_then_duplicate(tmp_path):
    parked = []
    h, state = make(tmp_path, parked)
    m = counts()
    topic = topic_for("mall", "door-1", "counts")
    assert h.handle(topic, encode(m)) is Outcome.STORED
    assert h.handle(topic, encode(m)) is Outcome.DUPLICATE  # QoS 1 redelivery or outbox replay
    _, lines = state.pending()
    assert lines == ["footfall_line,device=door-1,line=door,site=mall in=4i,out=1i 1795341840000000000"]
    assert not parked


def test_bad_messages_are_parked_with_a_reason_and_logged_once(tmp_path, caplog):
    parked = []
    h, state = make(tmp_path, parked)
    topic = topic_for("mall", "door-1", "counts")
    cases = [
        (topic, b"{not json"),
        (topic, b"{not json either"),
        (topic_for("mall", "door-1", "visits"), encode(counts())),
        (topic_for("elsewhere", "door-1", "counts"), encode(counts(site="elsewhere"))),
        (topic, encode(counts().model_copy(update={"ts": NOW + timedelta(days=2)}))),
        ("footfall/v1/mall", encode(counts())),
        (topic, b"x" * 100_000),
    ]
    with caplog.at_level(logging.WARNING):
        outcomes = [h.handle(t, p) for t, p in cases]
    assert outcomes == [Outcome.PARKED] * len(cases)
    reasons = [json.loads(p)["reason"] for p in parked]
    assert reasons[0].startswith("payload: not JSON") and "kind" in reasons[2] and "unknown site" in reasons[3]
    assert "more than a day in the future" in reasons[4] and reasons[5].startswith("topic:") and "exceeds" in reasons[6]
    assert caplog.text.count("not JSON") == 1  # two broken JSONs, one log line
    assert state.pending()[1] == []


def test_a_clock_ahead_is_restamped_by_arrival_not_parked(tmp_path, caplog):
    parked = []
    h, state = make(tmp_path, parked)
    ahead = timedelta(hours=1, seconds=3)
    c = counts().model_copy(update={"ts": NOW + ahead, "interval_start": NOW - timedelta(minutes=1) + ahead})
    v = VisitMessage(site="mall", device="door-1", seq=2, ts=NOW + ahead, track=5, code="9f" * 64, period="2026-11-22",
                     first_seen=NOW - timedelta(seconds=4) + ahead, last_seen=NOW + ahead, direction="in", quality=0.9)
    small = counts().model_copy(update={"msg_id": "0" * 32, "ts": NOW + timedelta(seconds=200),  # within tolerance
                                        "interval_start": NOW})
    with caplog.at_level(logging.WARNING):
        assert [h.handle(topic_for("mall", "door-1", k), encode(m)) for k, m in
                (("counts", c), ("visits", v), ("counts", small))] == [Outcome.STORED] * 3
    assert not parked and h.restamped[("mall", "door-1")] == 2 and caplog.text.count("ahead") == 1
    lines = state.pending()[1]
    at = [(line.split(",")[0], int(line.rsplit(" ", 1)[1]) // 10**9) for line in lines]
    assert at[0] == ("footfall_line", (NOW - timedelta(minutes=1)).timestamp())  # where it belongs, not an hour later
    assert at[1] == ("footfall_visits", NOW.timestamp())
    assert at[-1] == ("footfall_line", NOW.timestamp())  # a clock ahead by less than the tolerance is left as it is
    assert h.handle(topic_for("mall", "door-1", "counts"), encode(c)) is Outcome.DUPLICATE  # redelivered: once


def test_visits_reach_the_database_without_their_code(tmp_path):
    h, state = make(tmp_path, [])
    code = "9f" * 64
    v = VisitMessage(site="mall", device="door-1", seq=2, ts=NOW, track=17, code=code, period="2026-11-22",
                     zone="lobby", first_seen=NOW - timedelta(seconds=40), last_seen=NOW, direction="in", line="door",
                     quality=0.9)
    assert h.handle(topic_for("mall", "door-1", "visits"), encode(v)) is Outcome.STORED
    lines = state.pending()[1]
    assert len(lines) == 2 and not any("9f9f" in line for line in lines)
    assert "dwell_s=40" in lines[0] and "zone=lobby" in lines[0]
    assert lines[1].startswith("footfall_visitors,scope=site,site=mall returning=0i,unique=1i ")


def test_codes_linkable_longer_than_the_site_allows_are_parked(tmp_path):
    parked = []
    h, state = make(tmp_path, parked)  # the site's linkability: daily (default)
    weekly = VisitMessage(site="mall", device="door-1", seq=3, ts=NOW, track=1, code="ab" * 64, period="2026-W47",
                          first_seen=NOW - timedelta(seconds=5), last_seen=NOW, quality=0.9)
    assert h.handle(topic_for("mall", "door-1", "visits"), encode(weekly)) is Outcome.PARKED
    assert "allows daily linking" in json.loads(parked[0])["reason"] and state.checkpointed("mall") == []


def test_sites_are_sharded_stably():
    a, b = owner("0/2"), owner("1/2")
    sites = [f"site-{i}" for i in range(50)]
    assert all(a(s) != b(s) for s in sites) and 10 < sum(map(a, sites)) < 40
    assert [a(s) for s in sites] == [owner("0/2")(s) for s in sites]


def test_dedupe_window_persists(tmp_path):
    h, state = make(tmp_path, [])
    m = counts()
    h.handle(topic_for("mall", "door-1", "counts"), encode(m))
    state.close()
    h2, _ = make(tmp_path, [])
    assert h2.handle(topic_for("mall", "door-1", "counts"), encode(m)) is Outcome.DUPLICATE


def test_linker_checkpoint_survives_restart_and_is_wiped_with_its_period(tmp_path):
    import numpy as np

    from footfall.cloud.config import Site

    now = [NOW.timestamp()]
    rng = np.random.default_rng(5)
    base = rng.integers(0, 2, 512)

    def near():
        bits = base.copy()
        bits[rng.choice(512, 40, replace=False)] ^= 1
        return np.packbits(bits).tobytes().hex()

    def coded(period, minutes, direction="in"):
        return VisitMessage(site="mall", device="entrance", seq=minutes, ts=NOW, track=minutes, code=near(), period=period,
                            first_seen=NOW + timedelta(minutes=minutes), last_seen=NOW + timedelta(minutes=minutes, seconds=20),
                            direction=direction, quality=0.9)

    sites = {"mall": Site(id="mall", timezone="UTC", entrances=["entrance"])}
    topic = topic_for("mall", "entrance", "visits")
    state = IngestState(tmp_path / "s.sqlite")
    Handler(state, sites, [].append, clock=lambda: now[0]).handle(topic, encode(coded("2026-11-22", 0)))
    state.close()

    state = IngestState(tmp_path / "s.sqlite")  # restart: the index is rebuilt from the checkpoint
    h = Handler(state, sites, [].append, clock=lambda: now[0])
    h.handle(topic, encode(coded("2026-11-22", 30)))
    lines = state.pending(100)[1]
    assert any("returning=1i" in line for line in lines)  # the same person, recognised across the restart
    assert len(state.checkpointed("mall")) == 2

    h.handle(topic, encode(coded("2026-11-23", 60)))  # the next period begins
    now[0] += sites["mall"].link_grace_s + 1
    h.handle(topic, encode(coded("2026-11-23", 90)))
    assert {decode_period(p) for p in state.checkpointed("mall")} == {"2026-11-23"}  # the old codes are gone


def decode_period(payload: bytes) -> str:
    from footfall.protocol import decode

    return decode(payload).period


def _coder(seed=9):
    import numpy as np

    rng = np.random.default_rng(seed)
    faces = {}

    def code(person: str) -> str:
        base = faces.setdefault(person, rng.integers(0, 2, 512))
        bits = base.copy()
        bits[rng.choice(512, 40, replace=False)] ^= 1
        return np.packbits(bits).tobytes().hex()

    return code


def _visit(code, period, device, seconds, zone=None, direction=None, track=0):
    return VisitMessage(site="mall", device=device, seq=track, ts=NOW, track=track, code=code, period=period, zone=zone,
                        first_seen=NOW + timedelta(seconds=seconds), last_seen=NOW + timedelta(seconds=seconds + 10),
                        direction=direction, quality=0.9)


def _mall():
    from footfall.cloud.config import Site

    return {"mall": Site(id="mall", timezone="UTC", entrances=["entrance"], link_grace_s=600,
                         stores=[{"id": "store-a", "zones": ["a-floor"]}])}


def test_late_visits_are_stored_as_visits_counted_and_not_linked(tmp_path, caplog):
    now = [NOW.timestamp()]
    code = _coder()
    state = IngestState(tmp_path / "s.sqlite")
    h = Handler(state, _mall(), [].append, clock=lambda: now[0])
    topic = topic_for("mall", "store-a", "visits")
    door = topic_for("mall", "entrance", "visits")
    assert h.handle(door, encode(_visit(code("ann"), "2026-11-22", "entrance", 0, direction="in", track=1))) is Outcome.STORED
    assert h.handle(door, encode(_visit(code("bob"), "2026-11-23", "entrance", 86400, direction="in", track=2))) \
        is Outcome.STORED
    now[0] += 601  # the grace after 2026-11-23 began is over: 2026-11-22 closes
    state.written(state.pending(1000)[0])
    with caplog.at_level(logging.WARNING):
        for track in (3, 4):
            assert h.handle(topic, encode(_visit(code("ann"), "2026-11-22", "store-a", 60 * track, "a-floor", track=track))) \
                is Outcome.STORED
    lines = state.pending(1000)[1]
    assert len(lines) == 2 and all(line.startswith("footfall_visits,") for line in lines)  # footfall, no linking
    assert [(r["site"], r["device"], r["period"], r["visits"]) for r in state.late_visits()] == [
        ("mall", "store-a", "2026-11-22", 2)]
    assert h.late == {("mall", "store-a"): 2} and caplog.text.count("late visits from mall/store-a") == 1
    assert {decode_period(p) for p in state.checkpointed("mall")} == {"2026-11-23"}
    assert state.periods_began("mall") == {"2026-11-23": NOW.timestamp()}


def test_a_restart_neither_restarts_the_grace_nor_changes_the_figures(tmp_path):
    """The checkpoint holds the kept periods' visits and when each period began: rebuilt after a restart (visits in
    any order link the same), the next visit gives the points it gives without the restart."""
    now = [NOW.timestamp()]
    code = _coder()
    msgs = [_visit(code("ann"), "2026-11-22", "store-a", 300, "a-floor", track=1),
            _visit(code("ann"), "2026-11-22", "entrance", 0, direction="in", track=2),
            _visit(code("cat"), "2026-11-23", "entrance", 86400, direction="in", track=3),
            _visit(code("ann"), "2026-11-22", "store-a", 100, "a-floor", track=4)]
    def run(path, restart_after):
        state = IngestState(path)
        h = Handler(state, _mall(), [].append, clock=lambda: now[0])
        for i, m in enumerate(msgs):
            if i == restart_after:
                state.close()
                state = IngestState(path)
                h = Handler(state, _mall(), [].append, clock=lambda: now[0])
                state.written(state.pending(1000)[0])
            assert h.handle(topic_for("mall", m.device, "visits"), encode(m)) is Outcome.STORED
        return h, state

    _, plain = run(tmp_path / "a.sqlite", None)
    h, restarted = run(tmp_path / "b.sqlite", 3)
    assert restarted.pending(1000)[1] == plain.pending(1000)[1][-len(restarted.pending(1000)[1]):]
    assert h.linkers["mall"].visitors("2026-11-22") == 1
    now[0] += 599
    restarted.close()
    h = Handler(IngestState(tmp_path / "b.sqlite"), _mall(), [].append, clock=lambda: now[0])
    assert set(h.linkers["mall"].periods) == {"2026-11-22", "2026-11-23"}  # within the grace: kept
    now[0] += 2
    h.state.close()
    state = IngestState(tmp_path / "b.sqlite")
    h = Handler(state, _mall(), [].append, clock=lambda: now[0])  # the grace ran out while it was down
    assert set(h.linkers["mall"].periods) == {"2026-11-23"}
    assert {decode_period(p) for p in state.checkpointed("mall")} == {"2026-11-23"}
    assert set(state.periods_began("mall")) == {"2026-11-23"}


def test_a_reversed_entrance_is_stored_as_the_site_sees_it(tmp_path):
    """The second unit of a two-unit door faces the leavers: its `out` is the site's `in`, in counts and visits."""
    from footfall.cloud.config import Site

    state = IngestState(tmp_path / "ingest.sqlite")
    site = Site(id="mall", timezone="UTC", entrances=["door-1", "door-2"], reversed_entrances=["door-1"])
    h = Handler(state, {"mall": site}, [].append, clock=lambda: NOW.timestamp())
    assert h.handle(topic_for("mall", "door-1", "counts"), encode(counts())) is Outcome.STORED
    assert h.handle(topic_for("mall", "door-2", "counts"), encode(counts().model_copy(update={"device": "door-2"}))) \
        is Outcome.STORED
    v = VisitMessage(site="mall", device="door-1", seq=2, ts=NOW, track=17, code="9f" * 64, period="2026-11-22",
                     first_seen=NOW - timedelta(seconds=5), last_seen=NOW, direction="out", line="door", quality=0.9)
    assert h.handle(topic_for("mall", "door-1", "visits"), encode(v)) is Outcome.STORED
    lines = state.pending()[1]
    assert any(line.startswith("footfall_line,device=door-1,") and " in=1i,out=4i " in line for line in lines), lines
    assert any(line.startswith("footfall_line,device=door-2,") and " in=4i,out=1i " in line for line in lines), lines
    assert any("device=door-1" in line and "direction=in" in line for line in lines), lines
    # the linker saw an `in` at an entrance too: a visitor of the site
    assert any(line.startswith("footfall_visitors,scope=site,site=mall returning=0i,unique=1i ") for line in lines), lines


def test_reversed_entrances_must_be_entrances():
    import pytest
    from pydantic import ValidationError

    from footfall.cloud.config import Site

    with pytest.raises(ValidationError, match=r"reversed_entrances \['door-9'\] are not in entrances"):
        Site(id="mall", timezone="UTC", entrances=["door-1"], reversed_entrances=["door-9"])
