"""The floor heatmap against a rendered scene's truth (bench/heatmap.py): walkers on one aisle only, replayed
through the real edge pipeline; the aisle's cells carry the truth's person-seconds within the stated tolerance and
every other cell stays empty. Then the unit's real messages sent as two units whose views overlap completely go
through the ingest into InfluxDB: the store holds each person once, not twice. Small sample (60 s, the 4 fixture
identities): about 15 s of CPU."""
from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from footfall.bench.heatmap import HEATMAP, MIN_CELL_S, TOLERANCE, run
from footfall.edge.heatmap.settings import Heatmap


@pytest.fixture(scope="module")
def scene_out(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("aisle")


@pytest.fixture(scope="module")
def result(fixture_faces, scene_out):
    return run(fixture_faces, scene_out, duration_s=60.0, visitors=4, seed=3)


def test_the_aisle_cells_carry_the_truth_and_the_rest_stay_empty(result):
    fm = Heatmap.model_validate(HEATMAP).floor_map()
    aisle_col = int(fm.to_floor([(0.35, 0.9)])[0][0] // fm.cell_size[0])
    used = [r for r in result["cells"] if r["edge_s"] > 0]
    assert used and all(r["cell"] % fm.grid[0] == aisle_col for r in used)  # only the aisle's column
    assert all(r["cell"] % fm.grid[0] == aisle_col for r in result["cells"] if r["truth_s"] > 0)
    stood = [r for r in result["cells"] if r["truth_s"] >= MIN_CELL_S]
    assert stood and all(abs(r["edge_s"] - r["truth_s"]) <= TOLERANCE * r["truth_s"] for r in stood)
    assert result["within_tolerance"] and result["spill_share"] == 0.0
    # the tracks that touched where people stood: no more than the people who did (tracks of walkers who follow each
    # other on one spot may be joined, never split into more)
    assert all(0 < r["edge_tracks"] <= r["truth_people"] for r in stood)


@pytest.mark.integration
def test_two_overlapping_units_do_not_double_anyone(result, scene_out, influx, tmp_path):
    from footfall.cloud.config import CloudConfig
    from footfall.cloud.ingest.handler import Handler, Outcome
    from footfall.cloud.ingest.state import IngestState
    from footfall.cloud.query import Reader
    from footfall.protocol import decode, encode, topic_for

    # both units see the whole 8 x 4 m floor; cam-a hangs over its near edge (y = 0), cam-b over its far edge
    cameras = [{"device": "cam-a", "position": [2.5, 0]}, {"device": "cam-b", "position": [2.5, 4]}]
    site = {"id": "mall-demo", "timezone": "Europe/Berlin", "stores": [{"id": "store-a", "zones": ["store-a-floor"],
            "floor": {"size_m": HEATMAP["floor_size"], "grid": HEATMAP["grid"], "cameras": cameras}}]}
    cfg = CloudConfig.model_validate({"influx": {"url": influx.url, "database": influx.database}, "sites": [site],
                                      "state_dir": str(tmp_path)})
    state = IngestState(tmp_path / "ingest.sqlite")
    counts = [m for line in (scene_out / "store-a.events.jsonl").read_text().splitlines()
              if (m := decode(line)).kind == "counts" and m.floor is not None]
    latest = max(m.ts for m in counts).timestamp()
    h = Handler(state, {s.id: s for s in cfg.sites}, lambda p: None, clock=lambda: latest + 60)
    for m in counts:
        for device in ("cam-a", "cam-b"):
            copy = m.model_copy(update={"device": device, "msg_id": uuid.uuid4().hex})
            assert h.handle(topic_for(m.site, device, "counts"), encode(copy)) is Outcome.STORED
    influx.write(state.pending()[1])
    rows = influx.query('SELECT sum("person_s") AS s FROM footfall_floor GROUP BY "device"')
    by_device = {r["device"]: r["s"] for r in rows}
    assert set(by_device) == {"cam-a", "cam-b"}  # the aisle's cells split between the two owners
    assert sum(by_device.values()) == pytest.approx(result["edge_s"], abs=0.05)  # once, not twice
    # 4 visitors: every cell rests on fewer than 5 people and is blanked on the surfaces
    r = Reader(cfg, influx)
    grid = r.floor("store-a", r.store_range("store-a", "2026-11-20", "2026-11-20"))
    assert grid["cells"] and all(c["person_s"] == "<5" for c in grid["cells"])
    assert json.dumps(grid).count("<5") == 2 * len(grid["cells"])
