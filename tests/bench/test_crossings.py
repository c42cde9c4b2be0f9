"""Crossing-by-crossing pairing of what a unit counted with the scene's truth (bench/crossings.py)."""
import pytest

from footfall.bench.crossings import match, scene_crossings

START = 1000.0


def crossing(visitor, t, direction="in", hidden=False):
    return {"visitor": visitor, "trip": 0, "line": "door", "direction": direction, "t": START + t, "hidden": hidden}


def test_a_miss_and_a_false_count_do_not_cancel():
    truth = [crossing("v1", 5.0), crossing("v2", 9.0, hidden=True), crossing("v3", 20.0, "out")]
    counted = [{"line": "door", "direction": "in", "ts": START + 5.4, "inferred": False},
               {"line": "door", "direction": "in", "ts": START + 30.0, "inferred": True},  # nobody crossed then
               {"line": "door", "direction": "in", "ts": START + 21.0, "inferred": False}]  # wrong direction
    r = match(truth, counted, START)
    assert r["in"] == {"truth": 2, "counted": 3, "missed": 1, "extra": 2}
    assert r["out"] == {"truth": 1, "counted": 0, "missed": 1, "extra": 0}
    assert [m["visitor"] for m in r["missed_crossings"]] == ["v2", "v3"] and r["missed_crossings"][0]["hidden"]
    assert r["inferred"] == 1


def test_each_count_is_paired_so_that_the_most_walkers_are_matched():
    """Nearest first in time order, the first walker would take the count made 0.5 s after them, which is the only
    one the second walker's can be (the other was 1.0 s before the first): a miss and a false count that are not."""
    truth = [crossing("v1", 10.0), crossing("v2", 12.0)]
    counted = [{"line": "door", "direction": "in", "ts": START + t, "inferred": False} for t in (9.0, 10.5)]
    r = match(truth, counted, START)
    assert r["in"] == {"truth": 2, "counted": 2, "missed": 0, "extra": 0}


@pytest.mark.scene
def test_on_a_rendered_scene_every_seen_walker_is_counted(scene):
    out, truth = scene
    r = scene_crossings(out, ["entrance"])
    seen_in = [c for c in truth["devices"]["entrance"]["crossings"] if c["direction"] == "in" and not c["hidden"]]
    assert r["in"]["truth"] >= len(seen_in) and r["in"]["missed"] <= r["in"]["truth"] - len(seen_in)
    assert r["in"]["extra"] == 0
