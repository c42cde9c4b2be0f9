"""Flows, returns and visitors are decided in visit-time order, whatever order the visits arrive in (issue 20).

- the coded visits of a rendered 3-device scene (real edge pipeline) fed to the linker in many random arrival orders,
  and with one device's visits an hour late (an outage), end with the same per-minute figures as time order;
- the real path (edge units -> mosquitto -> ingest -> influxd) with one unit held back, its outbox replayed after the
  others finished, gives the InfluxDB flow matrix and visitor figures of an undisturbed run.
"""
from __future__ import annotations

import random
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import yaml

from footfall.bench.evaluate import scene_site, truth_flows
from footfall.cloud.config import CloudConfig, Site
from footfall.cloud.link.linker import SiteLinker
from footfall.cloud.store.points import linked_points
from footfall.protocol import VisitMessage

DEVICES = ("entrance", "store-a", "display")


def database(lines, db: dict) -> dict:
    """What InfluxDB holds after these lines: per series, time and field, the last write wins."""
    for line in lines:
        head, ts = line.rsplit(" ", 1)
        series, fieldset = head.split(" ", 1)
        for kv in fieldset.split(","):
            k, v = kv.split("=")
            db[(series, int(ts), k)] = int(v.rstrip("i"))
    return db


def link_all(site: Site, arrivals: list[tuple[float, VisitMessage]]) -> tuple[SiteLinker, dict]:
    """Feed visits in the given arrival order (arrival time = the linker's clock); the database it leaves."""
    now = [0.0]
    link = SiteLinker(site, clock=lambda: now[0])
    db: dict = {}
    for at, v in arrivals:
        now[0] = at
        database(linked_points(link.add(v)), db)
    return link, {k: v for k, v in db.items() if v}  # minutes rewritten to 0 are equal to minutes never written


def figures(db: dict) -> dict:
    out: dict = {}
    for (series, _, k), v in db.items():
        out[(series, k)] = out.get((series, k), 0) + v
    return out


@pytest.fixture(scope="module")
def scene_visits(scene, replay_scene):
    out, truth = scene
    visits = [VisitMessage.model_validate(m) for d in DEVICES for m in replay_scene(out, d)
              if m["kind"] == "visits" and m.get("code")]
    return out, truth, Site.model_validate(scene_site(out, truth)), visits


@pytest.mark.scene
def test_any_arrival_order_gives_the_figures_of_time_order(scene_visits):
    out, truth, site, visits = scene_visits
    # every device coded visits (a head drawn turned away, a bare oval the whole-frame pass can take for a face, gives
    # none: its close-up shows no face)
    assert {v.device for v in visits} == set(DEVICES) and len(visits) >= 10
    in_time = [(v.last_seen.timestamp(), v) for v in sorted(visits, key=lambda v: (v.first_seen, v.device))]
    link, want = link_all(site, in_time)
    fig = figures(want)
    period = visits[0].period
    people = link.visitors(period)
    # the site's visitors are the linked visitors seen coming in (a code seen only at a display or a store is not)
    assert people >= fig[("footfall_visitors,scope=site,site=mall-demo", "unique")] >= len(truth["visitors"])
    flows = {(s.split(",from=")[1].split(",")[0], s.split(",to=")[1]): n for (s, _), n in fig.items()
             if s.startswith("footfall_flow")}
    true_flows = {tuple(k.split(" -> ")): n for k, n in truth_flows(truth, scene_site(out, truth)).items()}
    assert flows and all(n <= true_flows.get(k, 0) for k, n in flows.items())  # time order invents no move
    rng = random.Random(20)
    for _ in range(30):
        order = in_time[:]
        rng.shuffle(order)
        link, got = link_all(site, [(i, v) for i, (_, v) in enumerate(order)])
        assert got == want
        assert link.visitors(period) == people
    for late in DEVICES:  # one device's visits an hour late, as after an outage; the others as they happened
        arrivals = sorted((at + (3600 if v.device == late else 0), v) for at, v in in_time)
        _, got = link_all(site, arrivals)
        assert got == want, late


@pytest.mark.scene
def test_late_beyond_the_grace_counts_visits_but_links_none(scene_visits):
    """A device whose visits of one period arrive after the next period began and its grace ran out."""
    _, _, site, visits = scene_visits
    now = [0.0]
    link = SiteLinker(site, clock=lambda: now[0])
    ok = [v for v in visits if v.device != "store-a"]
    for v in ok:
        link.add(v)
    before = link.totals(visits[0].period)
    link.add(ok[0].model_copy(update={"period": "2099-01-01", "track": 999_999}))  # the next period begins
    now[0] = site.link_grace_s + 1
    late = [v for v in visits if v.device == "store-a"]
    assert all(link.add(v) == [] for v in late)
    assert link.late == {("store-a", visits[0].period): len(late)} and link.totals(visits[0].period) == {}
    assert before  # (the old period's figures stayed as written; only the late visits were not linked)


# --- the real path ----------------------------------------------------------------------------------------------

def edge_config(scene: Path, device: str, port: int, state: Path, tmp: Path) -> Path:
    cfg = yaml.safe_load((scene / f"{device}.yaml").read_text())
    cfg["camera"]["source"] = str(scene / f"{device}.mp4")
    cfg["site_secret"] = {"file": str(scene / "site.secret")}
    cfg["mqtt"] = {"host": "127.0.0.1", "port": port}
    cfg["outbox"] = {"dir": str(state)}
    path = tmp / f"{device}-{port}.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def start_ingest(services, scene, truth, tmp: Path, name: str):
    from footfall.cloud.ingest.service import Ingest

    db = f"t_{uuid.uuid4().hex[:10]}"
    cfg = CloudConfig.model_validate({
        "mqtt": {"host": "127.0.0.1", "port": services.mosquitto.port, "client_id": f"ingest-{name}-{db}"},
        "influx": {"url": services.influxd.url, "database": db},
        "sites": [scene_site(scene, truth)], "state_dir": str(tmp / f"cloud-{name}")})
    ing = Ingest(cfg)
    ing.start()
    assert ing.connected.wait(10)
    return ing


def run_edges(configs: list[Path], tmp: Path) -> None:
    procs = [subprocess.Popen([sys.executable, "-m", "footfall.edge", "run", "--config", str(c), "--fast"],
                              stdout=open(tmp / f"{c.stem}.log", "ab"), stderr=subprocess.STDOUT) for c in configs]
    for p in procs:
        assert p.wait(timeout=600) == 0, f"an edge unit failed; see {tmp}/*.log"


def settle(ing, published: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and sum(ing.handler.counts[k] for k in ("stored", "duplicate", "parked")) < published:
        time.sleep(0.2)
    assert ing.handler.counts["stored"] >= published, dict(ing.handler.counts)
    assert ing.writer.drain(60)


def read_back(db) -> dict:
    flows = {(r["from"], r["to"]): r["sum"] for r in db.query('SELECT sum(moves) FROM footfall_flow GROUP BY "from", "to"')}
    people = {r["scope"]: (r["sum"], r["sum_1"])
              for r in db.query('SELECT sum("unique"), sum(returning) FROM footfall_visitors GROUP BY scope')}
    return {"flows": {k: n for k, n in flows.items() if n}, "visitors": people}


def next_seq(state: Path) -> int:
    import sqlite3

    db = sqlite3.connect(state / "outbox.sqlite")
    try:
        return int(db.execute("SELECT value FROM meta WHERE key = 'next_seq'").fetchone()[0])
    finally:
        db.close()


@pytest.mark.integration
@pytest.mark.scene
def test_a_unit_held_back_then_replaying_its_outbox_gives_the_undisturbed_flow_matrix(services, scene, tmp_path):
    from footfall.devserver.services import free_port
    from footfall.edge import __version__
    from footfall.edge.config import EdgeConfig
    from footfall.edge.publish.mqtt import Publisher
    from footfall.edge.publish.outbox import Outbox
    from footfall.protocol.configfile import load_config

    out, truth = scene
    port = services.mosquitto.port

    # undisturbed: the three units side by side
    ing = start_ingest(services, out, truth, tmp_path, "a")
    try:
        run_edges([edge_config(out, d, port, tmp_path / "a" / d, tmp_path) for d in DEVICES], tmp_path)
        settle(ing, sum(next_seq(tmp_path / "a" / d) for d in DEVICES))
        undisturbed = read_back(ing.db)
    finally:
        ing.close()

    # store-a cannot reach the broker while the others publish; its outbox keeps everything
    held = "store-a"
    ing = start_ingest(services, out, truth, tmp_path, "b")
    try:
        nowhere = free_port()
        run_edges([edge_config(out, d, nowhere if d == held else port, tmp_path / "b" / d, tmp_path) for d in DEVICES],
                  tmp_path)
        others = sum(next_seq(tmp_path / "b" / d) for d in DEVICES if d != held)
        settle(ing, others)
        without = read_back(ing.db)
        outbox = Outbox(tmp_path / "b" / held / "outbox.sqlite")
        assert outbox.depth() == next_seq(tmp_path / "b" / held) > 0  # nothing of it got through
        # back online: the unit's publisher replays its outbox, oldest first
        publisher = Publisher(load_config(edge_config(out, held, port, tmp_path / "b" / held, tmp_path), EdgeConfig),
                              outbox, __version__)
        publisher.start()
        assert publisher.flush(60)
        publisher.close()
        outbox.close()
        settle(ing, others + next_seq(tmp_path / "b" / held))
        replayed = read_back(ing.db)
    finally:
        ing.close()

    assert undisturbed["flows"] and any(held in k for k in undisturbed["flows"])
    assert not any(held in k for k in without["flows"])  # (the held unit's moves were missing until the replay)
    assert replayed == undisturbed
    assert undisturbed["visitors"]["site"][0] >= len(truth["visitors"])
