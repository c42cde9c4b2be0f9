"""The floor heatmap against a rendered scene's truth (bench/heatmap.py): walkers on one aisle only, replayed
through the real edge pipeline; the aisle's cells carry the truth's person-seconds within the stated tolerance and
every other cell stays empty. Small sample (60 s, the 4 fixture identities): about 15 s of CPU."""
from __future__ import annotations

import pytest

from footfall.bench.heatmap import HEATMAP, MIN_CELL_S, TOLERANCE, run
from footfall.edge.heatmap.settings import Heatmap


@pytest.fixture(scope="module")
def result(fixture_faces, tmp_path_factory):
    return run(fixture_faces, tmp_path_factory.mktemp("aisle"), duration_s=60.0, visitors=4, seed=3)


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
