"""Person mode on real footage: ../shared/data/videos/opencv_vtest.avi (pedestrians seen from above, from the front,
the side and behind), through the real replay path, against the hand annotation in
tests/fixtures/annotations/opencv_vtest.json (how it was made: docs/person-mode.md).

Stated tolerance: in and out within 5% of the annotation, which at 5 in and 7 out means exact.
"""
import json
from datetime import datetime
from pathlib import Path

import pytest

from footfall.edge.app import replay
from footfall.edge.config import EdgeConfig

pytestmark = pytest.mark.scene

ANNOTATION = Path(__file__).resolve().parents[1] / "fixtures" / "annotations" / "opencv_vtest.json"
START = 1704103200.0  # 2024-01-01T10:00:00Z: a minute boundary, so the video's 80 s fall in two 60 s intervals


def test_person_mode_counts_both_directions_as_annotated(shared_data, tmp_path):
    video = shared_data / "videos" / "opencv_vtest.avi"
    if not video.is_file():
        pytest.skip(f"{video} is not present")
    truth = json.loads(ANNOTATION.read_text())
    line = truth["line"]
    (tmp_path / "site.secret").write_text("ab" * 32)
    cfg = EdgeConfig.model_validate({
        "site": "campus", "device": "walkway", "role": "entrance", "timezone": "Europe/London",
        "site_secret": {"file": str(tmp_path / "site.secret")},  # privacy level site, the default: faces looked for
        "camera": {"source": str(video), "fps": truth["fps"], "width": truth["size"][0], "height": truth["size"][1]},
        "detector": {"person": {"enabled": True}},  # the shipped defaults: every 3rd frame at most, motion-gated
        "lines": [{"id": line["id"], "a": line["a"], "b": line["b"]}],
    })
    events = tmp_path / "events.jsonl"
    summary = replay(cfg, str(video), events, cfg.read_site_secret(), start_ts=START, progress=False)
    messages = [json.loads(m) for m in events.read_text().splitlines()]
    rows = [row for m in messages if m["kind"] == "counts" for row in m["lines"]]
    counted = {"in": sum(r["in"] for r in rows), "out": sum(r["out"] for r in rows)}
    for direction, n in truth["totals"].items():
        assert abs(counted[direction] - n) <= int(0.05 * n), (counted, truth["totals"])
    assert summary["frames"] == truth["frames"]
    assert "detect_people" in summary["stage_ms"]
    visits = [m for m in messages if m["kind"] == "visits"]
    assert {v["direction"] for v in visits if "direction" in v} == {"in", "out"}
    health = [m for m in messages if m["kind"] == "health"]
    last = max(datetime.fromisoformat(h["ts"]) for h in health)
    started = [v for v in visits if datetime.fromisoformat(v["first_seen"]) <= last]
    assert sum(h["tracks"] for h in health) >= len(started) > 0  # health counts person tracks in person mode
