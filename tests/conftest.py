"""Shared fixtures. Integration tests run against real mosquitto and influxd started by deploy/local's code."""
from __future__ import annotations

import os
import uuid
from types import SimpleNamespace
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(items):
    """Tests of a module that share a module-scoped fixture run in one xdist worker (`--dist loadgroup`), so the
    fixture (a scene through the real path, a Debian root, a browser with seeded data) is made once, not once per
    worker that happens to get one of them."""
    for item in items:
        if item.get_closest_marker("xdist_group"):
            continue
        defs = getattr(item, "_fixtureinfo", None)
        if defs and any(d[-1].scope == "module" for d in defs.name2fixturedefs.values() if d):
            item.add_marker(pytest.mark.xdist_group(item.module.__name__))


@pytest.fixture(scope="session")
def influxd(tmp_path_factory):
    """One real influxd per test process (each xdist worker has its own); tests get their own database on it."""
    from footfall.devserver.services import Influxd, ensure_installed, free_port

    ensure_installed(("influxd",))
    server = Influxd("influxd", tmp_path_factory.mktemp("influxd"), free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def broker(tmp_path_factory):
    """A real mosquitto of this test's own (it starts in milliseconds): no retained message, queued session or
    traffic of another test can reach it."""
    from footfall.devserver.services import Mosquitto, ensure_installed, free_port

    ensure_installed(("mosquitto",))
    server = Mosquitto("mosquitto", tmp_path_factory.mktemp("broker"), free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def services(influxd, broker):
    """The servers of deploy/local as one test sees them: the shared influxd and a broker of its own."""
    return SimpleNamespace(influxd=influxd, mosquitto=broker)


@pytest.fixture
def influx(influxd):
    """A fresh database on the shared influxd for one test."""
    from footfall.cloud.store.influx import InfluxV1

    db = InfluxV1(influxd.url, f"t_{uuid.uuid4().hex[:12]}")
    db.ensure_database()
    yield db
    db._call("POST", "/query", params={"q": f'DROP DATABASE "{db.database}"'})


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data not present at {SHARED_DATA}")
    return SHARED_DATA


FIXTURE_FACES = ROOT / "tests" / "fixtures" / "faces"


@pytest.fixture(scope="session")
def fixture_faces() -> Path:
    return FIXTURE_FACES


def once_for_all_workers(tmp_path_factory, name: str, make) -> Path:
    """A directory made by `make(dir)` once per test run, shared by every xdist worker (they wait for the first)."""
    from filelock import FileLock

    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the run's base directory, common to all workers
    out = root / name
    with FileLock(str(out) + ".lock"):
        if not (out / ".done").exists():
            out.mkdir(parents=True, exist_ok=True)
            make(out)
            (out / ".done").touch()
    return out


@pytest.fixture(scope="session")
def scene(tmp_path_factory):
    """A short rendered mall scene from the committed faces: 4 identities, two of them come back."""
    import json

    from footfall.bench.render import render_scene
    from footfall.bench.render.spec import SceneSpec

    def make(out: Path) -> None:
        # A fixed key makes the codes, and so the cloud's linking, the same on every run. With a fresh random key
        # each run, a genuine pair near the match radius was once left unlinked in CI (5 visitors for 4).
        (out / "site.secret").write_text("5f" * 32)
        spec = SceneSpec(seed=7, visitors=4, duration_s=100, return_fraction=1.0, store_visit_prob=1.0,
                         display_pass_prob=1.0, look_prob=0.5, dwell_s=(4.0, 8.0), walk_s=(3.0, 4.0),
                         devices=["entrance", "store-a", "display"])
        render_scene(spec, FIXTURE_FACES, out)

    out = once_for_all_workers(tmp_path_factory, "scene", make)
    return out, json.loads((out / "truth.json").read_text())


@pytest.fixture(scope="session")
def scene_messages(scene, tmp_path_factory):
    """What each unit of `scene` publishes (`footfall-edge replay`), recorded once for all workers: device -> the
    messages, for tests of what lies behind the ingest (tests/helpers/scene_publish.py publishes them)."""
    from scene_publish import recorded

    out, truth = scene

    def make(d: Path) -> None:
        for device in truth["devices"]:
            _replay_scene(out, device, d / f"{device}.jsonl")

    d = once_for_all_workers(tmp_path_factory, "scene-messages", make)
    return {device: recorded(d / f"{device}.jsonl") for device in truth["devices"]}


@pytest.fixture(scope="session")
def crowd_scene(tmp_path_factory):
    """A crowded entrance (the `dense` preset: 2-4 in view, groups, two in file, stop-and-go, hesitations, turned
    heads, 22 px far faces; 90 s). It needs more identities than the committed faces: ../shared's deepface_ids."""
    import json

    from footfall.bench.render import render_scene
    from footfall.bench.render.spec import SceneSpec

    faces = SHARED_DATA / "deepface_ids"
    if not faces.is_dir():
        pytest.skip(f"a crowd needs the identities of {faces}, absent here")

    def make(out: Path) -> None:
        (out / "site.secret").write_text("5f" * 32)
        render_scene(SceneSpec(seed=1, crowd="dense", devices=["entrance"]), faces, out)

    out = once_for_all_workers(tmp_path_factory, "crowd-scene", make)
    return out, json.loads((out / "truth.json").read_text())


@pytest.fixture(scope="session")
def replay_scene(tmp_path_factory):
    """Replays are cached per scene, device and overrides: several tests read the same run."""
    cache: dict = {}

    def run(scene_dir: Path, device: str, **overrides) -> list[dict]:
        key = (str(scene_dir), device, repr(sorted(overrides.items())))
        if key not in cache:
            cache[key] = _replay_scene(scene_dir, device, tmp_path_factory.mktemp("replay") / "events.jsonl", **overrides)
        return cache[key]

    return run


def _replay_scene(scene_dir: Path, device: str, events: Path, **overrides) -> list[dict]:
    """Replay one device of a rendered scene through the real pipeline; returns the messages as dicts."""
    import json

    from footfall.edge.app import replay
    from footfall.edge.config import EdgeConfig
    from footfall.protocol.configfile import load_config

    cfg = load_config(scene_dir / f"{device}.yaml", EdgeConfig)
    if overrides:
        cfg = EdgeConfig.model_validate({**cfg.model_dump(), **overrides})
    secret = cfg.read_site_secret()
    replay(cfg, str(scene_dir / f"{device}.mp4"), events, secret, progress=False)
    return [json.loads(line) for line in events.read_text().splitlines()]


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium per test process, for every page test. Playwright's sync API runs one event loop per
    thread: a second `sync_playwright()` beside one still open (a session's) fails with "Sync API inside the asyncio
    loop", so page tests must not open their own. Debian's chromium, like the servers (never Playwright's download)."""
    from playwright.sync_api import sync_playwright

    from footfall.devserver.services import apt_install

    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        apt_install("chromium")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(chromium),
                               args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield b
        b.close()
