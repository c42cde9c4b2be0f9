"""Each coded visit against the walker it followed and that walker's own photo (bench/codes.py)."""
import pytest

from footfall.bench.codes import POOR, coded_visits, summary


@pytest.mark.scene
def test_on_a_rendered_scene_each_coded_visit_follows_one_walker_and_codes_like_them(scene):
    out, truth = scene
    rows = coded_visits(out, "entrance")
    coded = [r for r in rows if r["coded"]]
    visitors = {v["id"] for v in truth["visitors"]}
    assert coded and all(r["walker"] and r["walker"][0] in visitors for r in coded)
    assert all(r["share_of_frames"] > 0.5 for r in coded)  # a track that followed one walker, not two
    s = summary(rows)
    assert s["compared"] == len(coded) and s[f"below_{POOR}"] == 0 and s["mean_cosine"] > 0.8
