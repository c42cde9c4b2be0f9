"""Short versions of bench/faults.py's faults on the real path (edge and ingest as processes, real mosquitto and
influxd): what the edge committed reaches InfluxDB once, whatever fails in between; budget drops are counted exactly.
Each test waits on events (stored messages, queued messages, drops), never on fixed sleeps, and streams a 20-second
rendered clip (looped where a fault needs the stream to go on)."""
from __future__ import annotations

import pytest

from footfall.bench import faults
from footfall.bench.faults import Rig, Scene

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def clip(tmp_path_factory, fixture_faces) -> Scene:
    """Four visitors walking in within the first 10 s of a 20 s entrance clip (4 `in` crossings)."""
    from footfall.bench.render import render_scene
    from footfall.bench.render.spec import SceneSpec

    out = tmp_path_factory.mktemp("fault-scene")
    (out / "site.secret").write_text(faults.SITE_SECRET)
    render_scene(SceneSpec(seed=2, visitors=4, duration_s=20, return_fraction=1.0, walk_s=(2.5, 3.0), min_gap_s=1.0,
                           devices=["entrance"]), fixture_faces, out)
    return Scene(out)


@pytest.fixture
def rig(broker, influxd, influx, clip, tmp_path) -> Rig:
    return Rig(broker, influxd, clip, tmp_path, influx.database)


def delivered_once(r: dict) -> None:
    """Every message the edge committed is in InfluxDB exactly once, and nothing else is."""
    m, e = r["messages"], r["events"]
    assert r["notes"] == [], r["notes"]
    assert m["left_in_outbox"] == 0
    assert m["lost"] == 0 and m["overwritten"] == 0, m
    assert m["unexpected_points"] == 0 and m["seq_reused"] == 0, m
    assert m["parked_by_cloud"] == 0, m
    assert e["lost"] == 0 and e["doubled"] == 0, e
    assert e["influx_in"] == e["sent_in"] and e["influx_visits"] == e["sent_visits"], e


def test_broker_outage(rig):
    r = faults.broker_outage(rig, outage_s=1, stream_s=20, min_queued=3)
    delivered_once(r)
    assert r["queued_at_end_of_outage"] >= 3
    assert r["messages"]["seq_gaps"] == 0
    assert r["events"]["vs_truth"] == 0  # every crossing the camera showed, counted once
    assert r["recovery_s"] is not None


def test_influx_outage(rig):
    r = faults.influx_outage(rig, outage_s=1, stream_s=40, min_spooled=3, paced=False)
    delivered_once(r)
    assert r["spooled_messages"] >= 3
    assert r["messages"]["seq_gaps"] == 0
    assert r["events"]["vs_truth"] == 0
    assert r["recovery_s"] is not None


def test_edge_kill(rig):
    r = faults.edge_kill(rig, at_s=9.0, down_s=1.0, after_s=6.0)
    delivered_once(r)
    assert r["committed_at_kill_lost"] == 0
    # the open interval and live tracks die with the process (not promised); nothing is ever counted twice
    assert r["events"]["vs_truth"] <= 0
    assert r["recovery_s"] is not None


def test_ingest_kill(rig):
    # paced: the unit goes on publishing while the ingest is down and back (unpaced, it could be done before the
    # first restart, leaving no visit for the second kill)
    r = faults.ingest_kill(rig, kills=2, every=3, down_s=1.0, stream_s=40, paced=True)
    delivered_once(r)
    assert r["messages"]["seq_gaps"] == 0
    assert r["events"]["vs_truth"] == 0
    v = r["visitors"]
    assert (v["influx_unique"], v["influx_returning"]) == (v["truth_unique"], v["truth_returning"])  # linked once
    assert None not in r["recoveries_s"]


def test_outbox_budget_drops_are_counted_exactly(rig):
    # --fast: the clip three times over in seconds, so that drops come within seconds; the edge goes on long
    # after the broker is back, so that a health message reports the final count
    r = faults.outbox_budget(rig, outage_s=1, room_kb=2, min_dropped=3, stream_s=80, paced=False)
    b = r["budget"]
    assert b["never_delivered"] >= 2
    assert b["never_delivered"] == b["outbox_count"] == b["health_outbox_dropped"], b
    m = r["messages"]
    assert m["lost"] == 0 and m["left_in_outbox"] == 0 and m["unexpected_points"] == 0, m  # nothing else is missing
    assert r["events"]["doubled"] == 0


def test_clock_step_back(rig):
    """The clock steps back 5 minutes while three visitors are in view (as the first visit arrives): the unit goes on
    (the visits that span the step are kept), and what it committed arrives once."""
    r = faults.clock_jump(rig, at_visit=1, steps=[(0.0, "-300")], stream_s=16, restart_s=1.0)
    m = r["messages"]
    assert r["crashes"] == [], r["crashes"]
    assert m["lost"] == 0 and m["overwritten"] == 0 and m["unexpected_points"] == 0 and m["parked_by_cloud"] == 0, m
    e = r["events"]
    assert e["doubled"] == 0 and e["lost"] == 0, e
    assert e["vs_truth"] == 0 and e["influx_visits"] == e["sent_visits"] == 4, e
