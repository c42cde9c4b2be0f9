"""Every panel query of deploy/grafana/dashboards, Grafana's macros and variables substituted, run on a real
InfluxDB filled through the real path (what edge units publish for a rendered scene, and a second site's wire
messages, over a real mosquitto into the ingest): each returns the truth, and never a figure resting on fewer than 5 visitors."""
from __future__ import annotations

import random
import re
import time
import uuid
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from scene_publish import publish_messages, publish_recorded
from grafana_queries import PanelQuery, panel_queries, render, variables

from footfall.cloud.config import CloudConfig
from footfall.cloud.ingest.service import Ingest
from footfall.protocol import CountsMessage, DisplayCount, HealthMessage, LineCount, VisitMessage, ZoneCount

pytestmark = pytest.mark.integration
BOARDS = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "dashboards"
K = 5
T0 = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)  # the synthetic site's first minute
MINUTES = 180
WEEK = timedelta(days=7)
SCENE_RANGE = (datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc), datetime(2026, 11, 20, 11, 0, tzinfo=timezone.utc))
SYNTH_RANGE = (T0, T0 + timedelta(minutes=MINUTES, seconds=-1))  # Grafana ranges include their end


def synthetic_site(rng: random.Random) -> tuple[list, dict]:
    """mall-synth: two gates, a shop with a door and a floor zone, a screen; per-minute counts and health for three
    hours (one gate silent for 20 minutes), 12 coded visitors (8 enter the shop, 5 come back), and the shop door's
    counts of the same hours a week earlier. Returns the messages and the truth they carry."""
    msgs, truth = [], defaultdict(lambda: defaultdict(float))
    seq = defaultdict(int)

    def envelope(device: str, at: datetime) -> dict:
        seq[device] += 1
        return {"site": "mall-synth", "device": device, "seq": seq[device], "ts": at}

    for minute in range(MINUTES):
        start = T0 + timedelta(minutes=minute)
        hour = start.replace(minute=0)
        for gate in ("gate-n", "gate-s"):
            n_in, n_out = rng.randint(0, 3), rng.randint(0, 2)
            truth[("line", gate)][hour] += n_in
            msgs.append(CountsMessage(**envelope(gate, start + timedelta(seconds=60)), interval_start=start,
                                      interval_s=60, lines=[LineCount(line="door", **{"in": n_in}, out=n_out)]))
        d_in, d_out = rng.randint(0, 2), rng.randint(0, 2)
        entries, dwell_n = rng.randint(0, 2), rng.randint(0, 2)
        dwell = round(rng.uniform(20, 300) * dwell_n, 1)
        truth[("door-in",)][hour] += d_in
        truth[("door-out",)][hour] += d_out
        truth[("entries",)][hour] += entries
        truth[("dwell_n",)][hour] += dwell_n
        truth[("dwell_s",)][hour] += dwell
        msgs.append(CountsMessage(**envelope("shop-x-door", start + timedelta(seconds=60)), interval_start=start,
                                  interval_s=60, lines=[LineCount(line="door", **{"in": d_in}, out=d_out)],
                                  zones=[ZoneCount(zone="shop-x-floor", entries=entries, exits=entries,
                                                   occupancy_max=entries + 1, occupancy_mean=entries / 2,
                                                   dwell_s_sum=dwell, dwell_n=dwell_n)]))
        passers = rng.randint(0, 4)
        viewers = rng.randint(0, passers)
        look = round(rng.uniform(1, 6) * viewers, 2)
        truth[("passers",)][hour] += passers
        truth[("viewers",)][hour] += viewers
        truth[("look_s",)][hour] += look
        msgs.append(CountsMessage(**envelope("screen-1", start + timedelta(seconds=60)), interval_start=start,
                                  interval_s=60, displays=[DisplayCount(display="promo", passers=passers,
                                                                        viewers=viewers, look_s_sum=look)]))
        for device in ("gate-n", "gate-s", "shop-x-door", "screen-1"):
            if device == "gate-s" and 60 <= minute < 80:
                continue  # a gap
            fps = round(rng.uniform(12, 15), 2)
            camera = "frozen" if device == "screen-1" and minute >= MINUTES - 5 else "ok"
            truth[("fps", device)][hour] += fps
            truth[("reports", device)][hour] += 1
            truth[("last", device)] = {"time": start + timedelta(seconds=30), "camera": camera, "depth": minute % 7}
            msgs.append(HealthMessage(**envelope(device, start + timedelta(seconds=30)), uptime_s=minute * 60.0,
                                      fps=fps, stage_ms={"detect": 20.0 + minute % 5, "embed": 8.0},
                                      outbox_depth=minute % 7, camera=camera))
    for minute in range(60):  # the shop door a week earlier, for "same range a week ago"
        start = T0 - WEEK + timedelta(minutes=minute)
        truth[("door-in-week-ago",)][None] += 2
        msgs.append(CountsMessage(**envelope("shop-x-door", start + timedelta(seconds=60)), interval_start=start,
                                  interval_s=60, lines=[LineCount(line="door", **{"in": 2}, out=0)]))
    for v in range(12):
        code = "".join(rng.choice("0123456789abcdef") for _ in range(128))
        trips = [T0 + timedelta(minutes=5 + 9 * v)] + ([T0 + timedelta(minutes=120 + 5 * v)] if v < 5 else [])
        for t, at in enumerate(trips):
            msgs.append(VisitMessage(**envelope("gate-n", at), track=100 * v + t, code=code, period="2026-11-20",
                                     first_seen=at - timedelta(seconds=3), last_seen=at, direction="in", line="door",
                                     quality=0.9))
            if v < 8 and t == 0:
                shop = at + timedelta(minutes=2)
                msgs.append(VisitMessage(**envelope("shop-x-door", shop + timedelta(seconds=60)), track=v, code=code,
                                         period="2026-11-20", zone="shop-x-floor", first_seen=shop,
                                         last_seen=shop + timedelta(seconds=60), quality=0.9))
    return msgs, truth


@pytest.fixture(scope="module")
def filled(scene, scene_messages, influxd, tmp_path_factory):
    """One database for the module: what the scene's entrance and store units publish, and the synthetic site,
    through mosquitto and the ingest."""
    from footfall.devserver.services import Mosquitto, ensure_installed, free_port

    ensure_installed(("mosquitto",))
    tmp = tmp_path_factory.mktemp("grafana")
    broker = Mosquitto("mosquitto", tmp / "broker", free_port())
    broker.start()
    db = f"t_{uuid.uuid4().hex[:10]}"
    cfg = CloudConfig.model_validate({
        "mqtt": {"host": "127.0.0.1", "port": broker.port, "client_id": f"ingest-{db}"},
        "influx": {"url": influxd.url, "database": db},
        "sites": [{"id": "mall-demo", "timezone": "Europe/Berlin", "entrances": ["entrance"],
                   "stores": [{"id": "store-a", "zones": ["store-a-floor"]}]},
                  {"id": "mall-synth", "timezone": "Europe/Berlin", "entrances": ["gate-n", "gate-s"],
                   "stores": [{"id": "shop-x", "zones": ["shop-x-floor"]}]}],
        "state_dir": str(tmp / "cloud")})
    ing = Ingest(cfg)
    ing.start()
    try:
        assert ing.connected.wait(10)
        out, truth = scene
        # as test_ingest: the cloud links these two units' visits to the truth's 4 visitors
        sent = publish_recorded(broker.port, {d: scene_messages[d] for d in ("entrance", "store-a")})
        msgs, synth = synthetic_site(random.Random(15))
        publish_messages(broker.port, msgs, "grafana-test")
        settle(ing, sent + len(msgs))
        yield ing.db, truth, synth
    finally:
        ing.close()
        broker.stop()


def settle(ing: Ingest, at_least: int, timeout: float = 60) -> None:
    """Every message handled (the edge units had delivered all of theirs when they exited) and the spool written."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sum(ing.handler.counts.values()) >= at_least and ing.state.spool_rows() == 0:
            return
        time.sleep(0.2)
    raise AssertionError(f"ingest did not settle: {dict(ing.handler.counts)}, spool {ing.state.spool_rows()}")


# -- running the panels -----------------------------------------------------------------------------------------------

def run(db, board: str, title: str, values: dict, rng: tuple, interval: str = "1h", ref: str = "A") -> list[dict]:
    path = BOARDS / f"{board}.json"
    q = next(q for q in panel_queries(path) if q.panel == title and q.ref == ref)
    return db.query(render(q, variables(path), values, *rng, interval=interval))


def by_hour(rows: list[dict], field: str) -> dict:
    return {datetime.fromtimestamp(r["time"], timezone.utc): r[field] for r in rows}


def k_filtered(truth: dict) -> dict:
    return {t: v for t, v in truth.items() if v >= K}


SYNTH = {"site": "mall-synth", "device": ["gate-n", "gate-s", "shop-x-door", "screen-1"], "entrance": "gate-.*"}


GUARDED = re.compile(r'^SELECT "(\w+)" FROM \((.+)\) WHERE "(\w+)" >= 5( GROUP BY .+)?$')


def test_every_panel_query_runs_and_shows_exactly_its_figures_of_5_or_more(filled):
    """All queries of all boards, on both sites, at two bucket sizes: each is valid InfluxQL; each visitor query
    returns exactly the rows of its unguarded inner query that rest on >= 5 (and so holds something back somewhere);
    only fleet health, which shows no visitor figure, has no guard."""
    db, _, _ = filled
    ran, held_back = 0, set()
    for path in sorted(BOARDS.glob("*.json")):
        defs = variables(path)
        for q in panel_queries(path):
            m = GUARDED.match(q.query)
            assert m or "footfall_health" in q.query and "footfall_" not in q.query.replace("footfall_health", ""), q
            for values, rng in ((SYNTH | {"store": "shop-x"}, SYNTH_RANGE),
                                ({"site": "mall-demo", "device": ["entrance", "store-a"], "store": "store-a",
                                  "entrance": ".*entrance.*"}, SCENE_RANGE)):
                for interval in ("1m", "1h"):
                    text = render(q, defs, values, *rng, interval=interval)
                    rows = db.query(text)
                    ran += 1
                    if not m:
                        continue
                    field, guard = m.group(1), m.group(3)
                    inner = db.query(GUARDED.match(text).group(2))
                    assert all(r[guard] is not None for r in inner)
                    kept = [r for r in inner if r[guard] >= K]
                    assert sorted((r["time"], r[field]) for r in rows) == sorted((r["time"], r[field]) for r in kept), q
                    if len(kept) < len(inner):
                        held_back.add((q.dashboard, q.panel, q.ref))
    assert ran == 2 * 2 * sum(len(panel_queries(p)) for p in BOARDS.glob("*.json"))
    assert len(held_back) >= 10


def test_chain_overview_matches_truth(filled):
    db, scene, synth = filled
    # footfall: the gates' `in` per hour, buckets under 5 left out
    got = by_hour(run(db, "chain-overview", "Footfall per site (entrance `in` crossings)", SYNTH, SYNTH_RANGE), "in")
    want = defaultdict(float)
    for gate in ("gate-n", "gate-s"):
        for t, v in synth[("line", gate)].items():
            want[t] += v
    assert got == k_filtered(want) and got
    per_minute = run(db, "chain-overview", "Footfall per site (entrance `in` crossings)", SYNTH, SYNTH_RANGE, "1m")
    assert per_minute and min(r["in"] for r in per_minute) >= K  # minutes with 0..4 crossings are never shown
    total = run(db, "chain-overview", "Footfall in range", SYNTH, SYNTH_RANGE)
    assert [r["in"] for r in total] == [sum(want.values())]
    # visitors linked by the cloud from the coded visits
    assert [r["unique"] for r in run(db, "chain-overview", "Unique visitors", SYNTH, SYNTH_RANGE)] == [12]
    assert [r["returning"] for r in run(db, "chain-overview", "Returning visitors", SYNTH, SYNTH_RANGE)] == [5]
    stores = run(db, "chain-overview", "Visitors per store (conversion: store detail)", SYNTH, SYNTH_RANGE)
    assert [(r["scope"], r["unique"]) for r in stores] == [("shop-x", 8)]
    # the rendered scene: its entrance's crossings are shown (>= 5), its 4 visitors are not
    demo = {"site": "mall-demo", "entrance": ".*entrance.*"}
    entrance_in = sum(c["direction"] == "in" for c in scene["devices"]["entrance"]["crossings"])
    assert entrance_in >= K
    assert [r["in"] for r in run(db, "chain-overview", "Footfall in range", demo, SCENE_RANGE)] == [entrance_in]
    assert len(scene["visitors"]) < K
    assert run(db, "chain-overview", "Unique visitors", demo, SCENE_RANGE) == []
    assert run(db, "chain-overview", "Returning visitors", demo, SCENE_RANGE) == []
    # the same figure unguarded is there: the guard, not a missing point, hides it
    raw = db.query("SELECT sum(\"unique\") FROM footfall_visitors WHERE site = 'mall-demo' AND scope = 'site'")
    assert raw[0]["sum"] == len(scene["visitors"])


def test_store_detail_matches_truth(filled):
    db, scene, synth = filled
    values = {"site": "mall-synth", "store": "shop-x", "device": "shop-x-door"}
    board = "store-detail"
    assert by_hour(run(db, board, "Hourly in / out at the store's doors", values, SYNTH_RANGE), "in") == \
        k_filtered(synth[("door-in",)])
    assert by_hour(run(db, board, "Hourly in / out at the store's doors", values, SYNTH_RANGE, ref="B"), "out") == \
        k_filtered(synth[("door-out",)])
    dwell = by_hour(run(db, board, "Mean dwell (s)", values, SYNTH_RANGE), "dwell_s")
    want = {t: synth[("dwell_s",)][t] / n for t, n in synth[("dwell_n",)].items() if n >= K}
    assert dwell.keys() == want.keys() and all(abs(dwell[t] - want[t]) < 1e-6 for t in want)
    occupancy = by_hour(run(db, board, "Occupancy (most people in the store's zones)", values, SYNTH_RANGE), "occupancy")
    assert set(occupancy) == {t for t, n in synth[("entries",)].items() if n >= K} and max(occupancy.values()) == 3
    this = run(db, board, "In, this range", values, SYNTH_RANGE)
    assert [r["in"] for r in this] == [sum(synth[("door-in",)].values())]
    ago = run(db, board, "In, same range a week ago", values, SYNTH_RANGE)  # the panel's timeShift: 7d
    assert [r["in"] for r in ago] == [synth[("door-in-week-ago",)][None]]
    assert [r["unique"] for r in run(db, board, "Store visitors, this range", values, SYNTH_RANGE)] == [8]
    store = run(db, board, "Conversion (store / site visitors)", values, SYNTH_RANGE, ref="A")
    site = run(db, board, "Conversion (store / site visitors)", values, SYNTH_RANGE, ref="B")
    assert store[0]["unique"] / site[0]["unique"] == 8 / 12  # Grafana's transformation divides these two
    # the scene's store: 4 visitors, so no visitor figure at all; its door's crossings only where >= 5
    demo = {"site": "mall-demo", "store": "store-a", "device": "store-a"}
    assert run(db, board, "Store visitors, this range", demo, SCENE_RANGE) == []
    assert run(db, board, "Conversion (store / site visitors)", demo, SCENE_RANGE) == []
    door_in = sum(c["direction"] == "in" for c in scene["devices"]["store-a"]["crossings"])
    assert [r["in"] for r in run(db, board, "In, this range", demo, SCENE_RANGE)] == ([door_in] if door_in >= K else [])


def test_flows_and_displays_match_direct_sums(filled):
    db, scene, synth = filled
    flows = run(db, "mall-flows", "Moves between entrances, stores and zones", SYNTH, SYNTH_RANGE)
    raw = db.query("SELECT sum(moves) FROM footfall_flow WHERE site = 'mall-synth' GROUP BY \"from\", \"to\"")
    assert flows and {(r["from"], r["to"]): r["moves"] for r in flows} == \
        {(r["from"], r["to"]): r["sum"] for r in raw if r["sum"] >= K}
    # the scene's flows rest on its 4 visitors: all held back
    demo_raw = db.query("SELECT sum(moves) FROM footfall_flow WHERE site = 'mall-demo' GROUP BY \"from\", \"to\"")
    assert demo_raw and all(r["sum"] < K for r in demo_raw)
    assert run(db, "mall-flows", "Moves between entrances, stores and zones", {"site": "mall-demo"}, SCENE_RANGE) == []
    board = "displays"
    assert by_hour(run(db, board, "Passers-by", SYNTH, SYNTH_RANGE), "passers") == k_filtered(synth[("passers",)])
    assert by_hour(run(db, board, "Viewers", SYNTH, SYNTH_RANGE), "viewers") == k_filtered(synth[("viewers",)])
    look = by_hour(run(db, board, "Mean look time (s)", SYNTH, SYNTH_RANGE), "look_s")
    want = {t: synth[("look_s",)][t] / n for t, n in synth[("viewers",)].items() if n >= K}
    assert look.keys() == want.keys() and all(abs(look[t] - want[t]) < 1e-6 for t in want)
    share = by_hour(run(db, board, "Share of passers-by who look", SYNTH, SYNTH_RANGE), "rate")
    assert share == {t: synth[("viewers",)][t] / synth[("passers",)][t] for t in want}


def test_fleet_health_matches_what_the_units_reported(filled):
    db, _, synth = filled
    board = "fleet-health"
    title = "Last seen, camera and outbox per device"
    last = zip(*(run(db, board, title, SYNTH, SYNTH_RANGE, ref=ref) for ref in "ABC"))
    assert {a["device"]: (datetime.fromtimestamp(a["time"], timezone.utc), b["camera"], c["outbox_depth"])
            for a, b, c in last} == \
        {key[1]: (v["time"], v["camera"], v["depth"]) for key, v in synth.items() if key[0] == "last"}
    fps = run(db, board, "Frames per second", SYNTH, SYNTH_RANGE)
    for r in fps:
        hour = datetime.fromtimestamp(r["time"], timezone.utc)
        want = synth[("fps", r["device"])][hour] / synth[("reports", r["device"])][hour]
        assert abs(r["mean"] - want) < 1e-6
    assert len(fps) == 4 * 3
    stages = run(db, board, "Stage times (ms)", SYNTH, SYNTH_RANGE)
    assert {k for r in stages for k, v in r.items() if k.startswith("mean_") and v is not None} == \
        {"mean_detect_ms", "mean_embed_ms"}  # every `<stage>_ms` field the units reported, none named in the query
    gaps = run(db, board, "Health reports per interval (0: a gap)", SYNTH, SYNTH_RANGE, interval="10m")
    silent = sorted(datetime.fromtimestamp(r["time"], timezone.utc) for r in gaps if r["count"] == 0)
    assert silent == [T0 + timedelta(minutes=60), T0 + timedelta(minutes=70)]  # gate-s, 13:00-13:20
    assert all(r["device"] == "gate-s" for r in gaps if r["count"] == 0)
    cameras = run(db, board, "Camera state", SYNTH, SYNTH_RANGE)
    assert sum(r["camera"] == "frozen" for r in cameras) == 5
    # the scene's units report health too, through the real pipeline
    scene_units = run(db, board, "Last seen, camera and outbox per device",
                      {"site": "mall-demo", "device": ["entrance", "store-a"]}, SCENE_RANGE)
    assert {r["device"] for r in scene_units} <= {"entrance", "store-a"}


def test_variable_queries_list_the_sites_stores_and_devices(filled):
    """The dashboards' template variables, run as Grafana would (site substituted into store's and device's)."""
    db, _, _ = filled
    for path in sorted(BOARDS.glob("*.json")):
        defs = variables(path)

        def values(name: str, site: str | None = None) -> set:
            q = PanelQuery(path.stem, f"variable {name}", "-", defs[name]["query"], None)
            return {r["value"] for r in db.query(render(q, defs, {"site": site} if site else {}, *SYNTH_RANGE, "1h"))}

        assert values("site") == {"mall-demo", "mall-synth"}
        for site, stores, devices in (("mall-synth", {"shop-x"}, {"gate-n", "gate-s", "shop-x-door", "screen-1"}),
                                      ("mall-demo", {"store-a"}, {"entrance", "store-a"})):
            if "store" in defs:
                assert values("store", site) == stores
            if "device" in defs:
                assert values("device", site) == devices
