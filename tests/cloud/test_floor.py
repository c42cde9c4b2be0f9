"""Floor heatmaps in the cloud, against real InfluxDB: two overlapping cameras never double a person on the shared
cells (each cell owned by the nearest covering camera), cells of fewer than 5 people are blanked, hours of the day
filter, the API returns the grid, and a camera sending another grid than the plan's stores nothing."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from footfall.cloud.api import create_app
from footfall.cloud.api.tokens import TokenStore
from footfall.cloud.config import CloudConfig, Site
from footfall.cloud.floor.owners import cell_owners
from footfall.cloud.ingest.handler import Handler, Outcome
from footfall.cloud.ingest.state import IngestState
from footfall.cloud.query import Reader
from footfall.protocol import CountsMessage, FloorGrid, encode, topic_for
from footfall.protocol.configfile import ConfigError, load_config

pytestmark = pytest.mark.integration
# a 10 x 4 m store, 1 m cells; cam-a hangs over x = 2 and sees x 0..6, cam-b over x = 8 and sees x 4..10
STORE = {"id": "store-a", "zones": ["store-a-floor"], "floor": {
    "image": "plan.png", "size_m": [10, 4], "grid": [10, 4], "cameras": [
        {"device": "cam-a", "position": [2, 0], "covers": [[0, 0], [6, 0], [6, 4], [0, 4]]},
        {"device": "cam-b", "position": [8, 0], "covers": [[4, 0], [10, 0], [10, 4], [4, 4]]}]}}
SITE = {"id": "mall", "timezone": "UTC", "stores": [STORE]}
T0 = datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc)
SHARED_A, SHARED_B, ONLY_A, FEW = 1 * 10 + 4, 2 * 10 + 5, 0 * 10 + 1, 3 * 10 + 2  # cells (row * 10 + col)


def counts(device, start, cells, grid=(10, 4), seq=0):
    return CountsMessage(site="mall", device=device, seq=seq, ts=start + timedelta(seconds=60), interval_start=start,
                         interval_s=60, floor=FloorGrid(grid=grid, cells=cells))


def test_overlap_is_owned_by_the_nearest_covering_camera():
    owners = cell_owners(Site.model_validate(SITE).stores[0].floor)
    cols = [{owners.get(r * 10 + c) for r in range(4)} for c in range(10)]
    assert cols[:4] == [{"cam-a"}] * 4 and cols[6:] == [{"cam-b"}] * 4
    assert cols[4] == {"cam-a"} and cols[5] == {"cam-b"}  # shared columns: x 4.5 nearer cam-a, 5.5 nearer cam-b


@pytest.fixture
def floor_db(influx, tmp_path):
    """Six people on the shared cells at 10:00, seen by both cameras, a few more elsewhere at 10:00-10:01 and 11:00,
    through the real ingest handler into InfluxDB."""
    cfg = CloudConfig.model_validate({"influx": {"url": influx.url, "database": influx.database}, "sites": [SITE],
                                      "state_dir": str(tmp_path), "api": {"secure_cookies": False}})
    state = IngestState(tmp_path / "ingest.sqlite")
    h = Handler(state, {s.id: s for s in cfg.sites}, lambda p: None, clock=lambda: (T0 + timedelta(hours=3)).timestamp())
    both = [(SHARED_A, 30.0, 6), (SHARED_B, 12.0, 6)]  # each camera sees the same six people on the shared cells
    msgs = [counts("cam-a", T0, [*both, (ONLY_A, 50.0, 7), (FEW, 9.0, 3)]),
            counts("cam-b", T0, both),
            counts("cam-a", T0 + timedelta(hours=1), [(ONLY_A, 20.0, 2)], seq=1),
            counts("cam-a", T0 + timedelta(minutes=1), [(FEW, 6.0, 1)], seq=2),
            counts("cam-b", T0 + timedelta(minutes=2), [(SHARED_B, 5.0, 1)], grid=(8, 4), seq=1)]  # wrong grid
    for m in msgs:
        assert h.handle(topic_for("mall", m.device, "counts"), encode(m)) is Outcome.STORED
    _, lines = state.pending()
    influx.write(lines)
    return cfg, Reader(cfg, influx), lines


def test_two_cameras_do_not_double_a_person_and_few_people_are_blanked(floor_db):
    cfg, reader, lines = floor_db
    floor_lines = [l for l in lines if l.startswith("footfall_floor")]
    # 4 cells from cam-a at 10:00 + 1 from cam-b + cam-a at 11:00 and 10:01; cam-b's shared cell owned by cam-a and
    # cam-a's owned by cam-b are dropped, as is cam-b's wrong grid
    assert len(floor_lines) == 6 and all("track" not in l.split(" ")[0] for l in floor_lines)
    r = reader.store_range("store-a", "2026-11-20", "2026-11-20")
    grid = {c["cell"]: c for c in reader.floor("store-a", r)["cells"]}
    assert grid[SHARED_A]["person_s"] == 30.0 and grid[SHARED_A]["tracks"] == 6  # not 60 s and 12 people
    assert grid[SHARED_B]["person_s"] == 12.0 and grid[SHARED_B]["tracks"] == 6
    assert grid[ONLY_A]["person_s"] == 70.0 and grid[ONLY_A]["tracks"] == 9
    assert grid[FEW]["person_s"] == "<5" and grid[FEW]["tracks"] == "<5"  # 3 + 1 people
    assert (grid[SHARED_A]["col"], grid[SHARED_A]["row"]) == (4, 1)
    morning = {c["cell"]: c for c in reader.floor("store-a", r, "10")["cells"]}
    assert morning[ONLY_A]["person_s"] == 50.0 and morning[ONLY_A]["tracks"] == 7
    late = {c["cell"]: c for c in reader.floor("store-a", r, "11-12")["cells"]}
    assert set(late) == {ONLY_A} and late[ONLY_A]["tracks"] == "<5"


def test_the_api_returns_the_grid(floor_db, tmp_path):
    cfg, reader, _ = floor_db
    tokens = TokenStore(tmp_path / "api.sqlite")
    app = create_app(cfg, reader=reader, tokens=tokens)
    key = tokens.create("m", "manager", ["store-a"])
    c = app.test_client()
    r = c.get("/api/v1/stores/store-a/floor?from=2026-11-20&to=2026-11-20&hours=9-12",
              headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 200, r.get_data(as_text=True)
    d = r.json
    assert d["grid"] == [10, 4] and d["hours"] == [9, 10, 11] and d["max_person_s"] == 70.0 and len(d["covered"]) == 40
    r = c.get("/api/v1/stores/store-a/floor?from=2026-11-20&to=2026-11-20&hours=25",
              headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 400 and "hours" in r.get_data(as_text=True)
    csv = c.get("/api/v1/stores/store-a/floor?from=2026-11-20&to=2026-11-20&format=csv",
                headers={"Authorization": f"Bearer {key}"}).get_data(as_text=True)
    assert csv.splitlines()[0] == "cell,col,row,person_s,tracks" and f"{FEW},2,3,<5,<5" in csv


def test_plan_cameras_off_the_plan_are_refused(tmp_path):
    f = tmp_path / "cloud.yaml"
    f.write_text("sites:\n  - id: mall\n    timezone: UTC\n    stores:\n      - id: s\n        zones: [z]\n"
                 "        floor:\n          size_m: [10, 4]\n          grid: [10, 4]\n"
                 "          cameras: [{device: cam-a, position: [12, 0]}]\n")
    with pytest.raises(ConfigError) as e:
        load_config(f, CloudConfig)
    assert e.value.problems[0].line == 7 and "off the 10.0 x 4.0 m plan" in e.value.problems[0].reason


def test_grafana_floor_panel_shows_only_cells_of_5_or_more_people(floor_db):
    from pathlib import Path

    from grafana_queries import panel_queries, render, variables

    cfg, reader, _ = floor_db
    board = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "dashboards" / "store-detail.json"
    q = next(q for q in panel_queries(board) if q.panel.startswith("Floor cells"))
    text = render(q, variables(board), {"site": "mall", "store": "store-a", "device": "cam-a"},
                  T0, T0 + timedelta(hours=3), interval="1h")
    rows = reader.db.query(text)
    assert {int(r["cell"]): r["person_s"] for r in rows} == {SHARED_A: 30.0, SHARED_B: 12.0, ONLY_A: 70.0}


@pytest.mark.parametrize("text, hours", [("9-12", [9, 10, 11]), ("18", [18]), ("22-2", [22, 23, 0, 1]),
                                         ("0-24", list(range(24))), (None, None)])
def test_hours_of_the_day(text, hours):
    from footfall.cloud.query.floor import parse_hours

    assert parse_hours(text) == hours


@pytest.mark.parametrize("text", ["24", "9-9", "nine", "-3", "5-25"])
def test_bad_hours_name_the_parameter(text):
    from footfall.cloud.query.floor import parse_hours
    from footfall.cloud.query.intervals import RangeError

    with pytest.raises(RangeError) as e:
        parse_hours(text)
    assert e.value.field == "hours"
