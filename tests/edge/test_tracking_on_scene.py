"""The tracker on rendered footage: one track per walker whose face the camera sees."""
from datetime import datetime

import pytest

pytestmark = pytest.mark.scene


def overlaps(a0, a1, b0, b1) -> bool:
    return a0 < b1 and b0 < a1


def test_one_track_per_walker_at_the_entrance(scene, replay_scene, tmp_path):
    out, truth = scene
    messages = replay_scene(out, "entrance")
    visits = [m for m in messages if m["kind"] == "visits"]
    spans = [(datetime.fromisoformat(v["first_seen"]).timestamp(), datetime.fromisoformat(v["last_seen"]).timestamp(), v)
             for v in visits]
    facing = [s for s in truth["devices"]["entrance"]["sightings"] if s["face_visible_s"] > 0]
    for s in facing:
        mine = [v for a, b, v in spans if overlaps(a, b, s["start"], s["end"]) and b - a > 1.0]
        assert len(mine) == 1, (s, mine)  # not fragmented, not missed
    long_tracks = [v for a, b, v in spans if b - a > 1.0 and v.get("code")]
    assert len(long_tracks) == len(facing)  # and no long track with a face but without a walker
    # a long track without a face (no code) is a leaver's back of the head, walking out
    assert all(v.get("direction") in ("out", None) for a, b, v in spans if b - a > 1.0 and not v.get("code"))


def test_in_crossings_match_truth_at_the_entrance(scene, replay_scene, tmp_path):
    out, truth = scene
    messages = replay_scene(out, "entrance")
    counted_in = sum(l["in"] for m in messages if m["kind"] == "counts" for l in m["lines"])
    truth_in = sum(c["direction"] == "in" for c in truth["devices"]["entrance"]["crossings"])
    assert counted_in == truth_in


def test_health_reports_tracks_and_crossings(scene, replay_scene):
    out, truth = scene
    messages = replay_scene(out, "entrance")
    health = [m for m in messages if m["kind"] == "health"]
    counted = sum(l["in"] + l["out"] for m in messages if m["kind"] == "counts" for l in m["lines"])
    visits = [m for m in messages if m["kind"] == "visits"]
    # the last report may come before the last tracks and crossings
    assert counted - 2 <= sum(h["crossings"] for h in health) <= counted
    assert sum(h["tracks"] for h in health) >= len(visits) - 2
