"""Events from the whole pipeline on a rendered mall scene, against its ground truth.

Stated tolerances (a face-only unit: people walking away show no face, so `out` crossings and the walk out of a
zone are not seen; count leavers with a unit facing them):
- `in` crossings: exact, at the entrance and at the store door;
- store zone: entries exact; total dwell within 25% of truth (it ends when the face turns away);
- display: viewers within 1 of the looks in truth, seconds looked within 40%.
"""
import pytest

pytestmark = pytest.mark.scene


def totals(messages, section, field):
    return sum(row[field] for m in messages if m["kind"] == "counts" for row in m[section])


def truth_in(truth, device):
    return sum(c["direction"] == "in" for c in truth["devices"][device]["crossings"])


def test_entrance_in_counts(scene, replay_scene):
    out, truth = scene
    assert totals(replay_scene(out, "entrance"), "lines", "in") == truth_in(truth, "entrance")


def test_store_door_and_zone_dwell(scene, replay_scene):
    out, truth = scene
    messages = replay_scene(out, "store-a")
    visits = truth["devices"]["store-a"]["zone_visits"]
    assert totals(messages, "lines", "in") == truth_in(truth, "store-a")
    assert totals(messages, "zones", "entries") == len(visits)
    assert totals(messages, "zones", "dwell_n") == len(visits)
    truth_dwell = sum(v["exit"] - v["enter"] for v in visits)
    assert 0.75 * truth_dwell <= totals(messages, "zones", "dwell_s_sum") <= 1.1 * truth_dwell


def test_display_attention(scene, replay_scene):
    out, truth = scene
    messages = replay_scene(out, "display")
    looks = truth["devices"]["display"]["looks"]
    assert abs(totals(messages, "displays", "viewers") - len(looks)) <= 1
    truth_s = sum(l["end"] - l["start"] for l in looks)
    assert abs(totals(messages, "displays", "look_s_sum") - truth_s) <= 0.4 * truth_s
    assert totals(messages, "displays", "passers") >= totals(messages, "displays", "viewers")


def test_every_visit_message_names_its_zone_and_interval_counts_are_contiguous(scene, replay_scene):
    out, _ = scene
    messages = replay_scene(out, "store-a")
    visits = [m for m in messages if m["kind"] == "visits"]
    assert all(m["zone"] == "store-a-floor" for m in visits if m.get("code"))
    # without a face (no code) only a leaver's walk out, seen as the back of a head, tracked from the door line
    assert all(m.get("direction") in ("out", None) and not m.get("zone") for m in visits if not m.get("code"))
    starts = [m["interval_start"] for m in messages if m["kind"] == "counts"]
    assert starts == sorted(set(starts)) and len(starts) >= 2


def test_entrance_in_counts_in_a_crowd(crowd_scene, replay_scene):
    """Stated tolerance on a crowded entrance: at least 80% of the `in` crossings (21 of 26 when written) and at most
    one too many. Walkers hidden behind the person in front, or looking at a phone, for their whole walk cannot be
    seen by a face camera: person mode is for those (docs/benchmarks.md has the figures beside the baseline's)."""
    out, truth = crowd_scene
    messages = replay_scene(out, "entrance")
    want = truth_in(truth, "entrance")
    got = totals(messages, "lines", "in")
    assert want >= 20 and 0.8 * want <= got <= want + 1, (got, want)
