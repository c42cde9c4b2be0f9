"""Crowded scenes: the crowd planner's ground truth (hesitations, groups, occlusion), presets and determinism.

Most tests plan scenes without rendering them (scene_truth): the truth comes from the plan, and drawing follows the
plan (compose draws far people first). Tests on ../shared/data/deepface_ids (13 identities) skip without it.
"""
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from footfall.bench.render import render_scene, scene_truth
from footfall.bench.render.draw import background, compose, placed_at
from footfall.bench.render.faces import FaceLibrary
from footfall.bench.render.layout import layout_for
from footfall.bench.render.occlusion import face_box
from footfall.bench.render.plan import touching
from footfall.bench.render.spec import CROWD_PRESETS, SceneSpec, load_spec

DEEPFACE_IDS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "deepface_ids"
# small and short: planning only, or a few low-resolution frames
SMALL = dict(width=640, height=360, fps=10, face_px=(16, 75), duration_s=40, devices=["entrance"], visitors=None,
             entries_per_min=20)


@pytest.fixture(scope="module")
def faces(fixture_faces):
    return FaceLibrary(fixture_faces)


@pytest.fixture(scope="module")
def deepface():
    root = DEEPFACE_IDS
    if not root.is_dir():
        pytest.skip(f"shared identities not present at {root}")
    return FaceLibrary(root)


@pytest.fixture(scope="module")
def dense(deepface):
    """The dense preset on the shared identities: plan and truth (not rendered)."""
    return scene_truth(SceneSpec(crowd="dense", seed=1), deepface)


def in_crossings(truth, device, visitor, trip):
    return [c for c in truth["devices"][device]["crossings"] if (c["visitor"], c["trip"]) == (visitor, trip)]


def test_hesitation_on_the_line_is_zero_crossings_and_a_recross_is_one(faces):
    kinds = set()
    for seed in range(1, 7):
        planner, truth = scene_truth(SceneSpec(**SMALL, seed=seed, hesitate_prob=1.0), faces)
        y_line = layout_for("entrance").line[1]
        for w in planner.walks:
            trips = {(v["id"], i): t for v in truth["visitors"] for i, t in enumerate(v["trips"])}
            if "turn-back" in w.tags:
                kinds.add("turn-back")
                ys = [k[2] for k in w.keys]
                assert abs(max(ys) - y_line) < 0.03, "walks up to the line and stands on it"
                assert ys[-1] < y_line and w.facing[-1] == "back", "then turns back"
                assert in_crossings(truth, "entrance", w.visitor, w.trip) == []
                assert trips[(w.visitor, w.trip)]["entered"] is False
            if "recross" in w.tags:
                kinds.add("recross")
                raw = sum((a[2] > y_line) != (b[2] > y_line) for a, b in zip(w.keys, w.keys[1:]))
                assert raw == 3, "over the line, back, over again"
                cs = in_crossings(truth, "entrance", w.visitor, w.trip)
                assert [c["direction"] for c in cs] == ["in", "out"]  # the walk in (once), and later the walk out
                assert trips[(w.visitor, w.trip)]["entered"] is True
    assert kinds == {"turn-back", "recross"}


def test_a_groups_members_walk_in_together_abreast(faces):
    planner, truth = scene_truth(SceneSpec(**SMALL, seed=2, group_prob=1.0, group_size=(2, 3)), faces)
    groups: dict[str, list] = {}
    for v in truth["visitors"]:
        for i, t in enumerate(v["trips"]):
            if t["group"]:
                groups.setdefault(t["group"], []).append((v["id"], i))
    assert groups and all(len(m) >= 2 for m in groups.values())
    walks = [w for w in planner.walks if w.device == "entrance"]
    for members in groups.values():
        ins = [w for w in walks if (w.visitor, w.trip) in members and w.facing[0] == "front"]
        assert len(ins) == len(members)
        assert max(w.t0 for w in ins) - min(w.t0 for w in ins) <= 0.4, "entering at the same time"
        crossed = [c["t"] - truth["start"] for m in members for c in in_crossings(truth, "entrance", *m)
                   if c["direction"] == "in"]
        assert len(crossed) == len(members) and max(crossed) - min(crossed) <= 0.5
        t = float(np.mean(crossed))  # on the line: all in view, side by side, shoulder to shoulder
        at = [w.at(t) for w in ins]
        assert all(p is not None and 0 <= p[0] <= 1 for p in at)
        xs = sorted(p[0] * SMALL["width"] / p[2] for p in at)  # across, in face heights
        assert all(2.0 <= b - a <= 3.5 for a, b in zip(xs, xs[1:]))
        assert max(p[1] for p in at) - min(p[1] for p in at) < 0.05


def test_crowd_planner_keeps_walkers_apart_and_the_view_within_max(faces):
    spec = SceneSpec(**{**SMALL, "entries_per_min": 40}, seed=3, group_prob=0.5, tailgate_prob=0.5, pause_prob=0.5,
                     max_in_view=3, return_fraction=1.0)
    planner, truth = scene_truth(spec, faces)
    walks = [w for w in planner.walks if w.device == "entrance"]
    assert all(not touching(a, b, spec.width) for i, a in enumerate(walks) for b in walks[i + 1:])
    assert truth["devices"]["entrance"]["in_view"]["max"] <= 3
    ins = [c for c in truth["devices"]["entrance"]["crossings"] if c["direction"] == "in"]
    assert len(ins) == sum(t["entered"] for v in truth["visitors"] for t in v["trips"])


def test_crowd_scene_is_the_same_for_the_same_seed(tmp_path, faces):
    spec = SceneSpec(**{**SMALL, "duration_s": 20, "fps": 5, "width": 320, "height": 240, "face_px": (12, 40)},
                     seed=4, group_prob=0.5, tailgate_prob=0.5, pause_prob=0.5, hesitate_prob=0.3, turn_prob=0.5)
    a = render_scene(spec, faces, tmp_path / "a")
    b = render_scene(spec, faces, tmp_path / "b")
    assert a == b
    fa, fb = (cv2.VideoCapture(str(tmp_path / x / "entrance.mp4")) for x in "ab")
    for _ in range(100):
        (oa, ia), (ob, ib) = fa.read(), fb.read()
        assert oa == ob and (not oa or np.array_equal(ia, ib))
    _, c = scene_truth(spec.model_copy(update={"seed": 5}), faces)
    assert c["devices"]["entrance"]["crossings"] != a["devices"]["entrance"]["crossings"]


def test_crowd_preset_fills_only_what_the_spec_does_not_say(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text("crowd: dense\nentries_per_min: 20\nwidth: 640\n")
    spec = load_spec(f, visitors=4)
    assert spec.entries_per_min == 20 and spec.visitors == 4 and spec.width == 640
    assert spec.max_in_view == 4 and spec.face_px == (22, 150) and spec.walk_s == (2.5, 7.0)
    assert load_spec(f, crowd="light").entries_per_min == 20  # the file's own keys win over a preset
    assert load_spec(f, crowd="light").max_in_view == CROWD_PRESETS["light"]["max_in_view"]
    assert SceneSpec().entries_per_min is None and SceneSpec().crowd == "none"
    with pytest.raises(ValueError, match="need entries_per_min"):
        SceneSpec(hesitate_prob=0.5)
    with pytest.raises(ValueError, match="face_px"):
        SceneSpec(face_px=(8, 150))


def test_cli_renders_a_dense_scene(tmp_path, fixture_faces):
    from click.testing import CliRunner

    from footfall.bench.cli import main

    spec = tmp_path / "spec.yaml"
    spec.write_text("width: 320\nheight: 240\nfps: 5\nface_px: [12, 40]\nduration_s: 25\ndevices: [entrance]\n")
    r = CliRunner().invoke(main, ["render", "--faces", str(fixture_faces), "--out", str(tmp_path / "o"), "--spec",
                                  str(spec), "--crowd", "dense", "--seed", "2"])
    assert r.exit_code == 0, r.output
    truth = json.loads((tmp_path / "o" / "truth.json").read_text())
    assert truth["spec"]["crowd"] == "dense" and truth["spec"]["entries_per_min"] == 30
    assert truth["devices"]["entrance"]["in_view"]["max"] <= 4


@pytest.mark.scene
def test_dense_preset_is_a_crowded_entrance(dense):
    planner, truth = dense
    ent = truth["devices"]["entrance"]
    view = ent["in_view"]
    assert view["max"] == 4 and view["mean"] >= 1.8
    assert sum(view["frames"][2:]) >= 0.55 * sum(view["frames"]), "mostly 2-4 people in view"
    ins = sorted(c["t"] - truth["start"] for c in ent["crossings"] if c["direction"] == "in")
    # people arrive at 30 a minute; with 4 in view at most (leavers too), some wait at the door
    assert sum(t < 30 for t in ins) >= 7 and len(ins) >= 18
    tags = {t for s in ent["sightings"] for t in s["tags"]}
    assert {"group", "tailgate", "look-away", "pause"} <= tags
    returning = [v for v in truth["visitors"] if sum(t["entered"] for t in v["trips"]) >= 2]
    assert returning and all(len({t["photo"] for t in v["trips"]}) == len(v["trips"]) for v in returning)
    walks = [w for w in planner.walks if w.device == "entrance"]
    leaving = [w for w in walks if w.facing[0] == "back"]
    entering = [w for w in walks if w.facing[0] == "front"]
    assert any(a.t0 < b.t1 and b.t0 < a.t1 for a in leaving for b in entering), "people leave while others come in"
    assert min(k[3] for w in walks for k in w.keys) == 22, "small faces at the far end"
    durations = [(w.t1 - w.t0) for w in entering if len(w.keys) == 2 and w.keys[-1][2] > 1]
    assert min(durations) < 4.0 and max(durations) > 5.5, "speeds spread over 2.5-7 s"


@pytest.mark.scene
def test_dense_scene_hides_farther_faces_behind_nearer_people(dense):
    """From the plan: on some frames a nearer person's head covers most of a farther one's face box, also while the
    farther one is on the counting line; and the drawing agrees (those pixels are the nearer person's)."""
    planner, truth = dense
    spec = SceneSpec.model_validate(truth["spec"])
    W, H = spec.width, spec.height
    walks = [w for w in planner.walks if w.device == "entrance"]

    def head_box(p, w):  # as drawn: a face sprite (with hair, raised a little) or the back / side of a head
        x, y, fh, facing = p[0] * W, p[1] * H, p[2], p[3]
        if facing == "front":
            return x - 0.62 * w.sprite.aspect * fh, y - 1.04 * fh, x + 0.62 * w.sprite.aspect * fh, y + 0.8 * fh
        return x - 0.62 * fh, y - 0.72 * fh, x + 0.62 * fh, y + 0.72 * fh

    covered = []
    for i in range(int(spec.duration_s * spec.fps)):
        t = i / spec.fps
        placed = placed_at(walks, t)  # drawing order: far first
        for k, (pf, far) in enumerate(placed):
            a = face_box(pf[0], pf[1], pf[2], far.sprite.aspect, W, H)
            if pf[3] != "front" or a[0] < 0 or a[1] < 0 or a[2] > W or a[3] > H:  # a face, all in the image
                continue
            for pn, near in placed[k + 1:]:
                assert pn[2] >= pf[2], "nearer people are drawn later"
                b = head_box(pn, near)
                ix = max(0, min(a[2], b[2]) - max(a[0], b[0])) * max(0, min(a[3], b[3]) - max(a[1], b[1]))
                if ix >= 0.5 * (a[2] - a[0]) * (a[3] - a[1]):
                    covered.append((t, far, near))
    assert len({id(f) for _, f, _ in covered}) >= 2, "several walkers are hidden behind nearer ones"
    assert any(s["occluded_s"] >= 0.3 for s in truth["devices"]["entrance"]["sightings"])
    y_line = layout_for("entrance").line[1]
    assert any(abs(far.at(t)[1] - y_line) < 0.02 for t, far, _ in covered), "hidden while on the counting line"
    assert any(c["hidden"] for c in truth["devices"]["entrance"]["crossings"] if c["direction"] == "in")
    # the drawing: where the nearer head covers the farther face (the point of the overlap nearest the middle of
    # that head), the pixels are the same with or without the farther person
    def overlap_point(t, far, near):
        pf, pn = far.at(t), near.at(t)
        a, b = face_box(*pf[:3], far.sprite.aspect, W, H), head_box(pn, near)
        cx, cy = pn[0] * W, pn[1] * H - (0.12 * pn[2] if pn[3] == "front" else 0)
        x = min(max(cx, max(a[0], b[0]) + 2), min(a[2], b[2]) - 2)
        y = min(max(cy, max(a[1], b[1]) + 2), min(a[3], b[3]) - 2)
        return int(x), int(y), np.hypot((x - cx) / (b[2] - b[0]), (y - cy) / (b[3] - b[1])) * 2

    t, far, near = min(covered, key=lambda c: overlap_point(*c)[2])
    x, y, r = overlap_point(t, far, near)
    assert r < 0.6
    bg = background(layout_for("entrance"), W, H, np.random.default_rng(0))
    core = (slice(y - 1, y + 2), slice(x - 1, x + 2))
    with_far, without_far = compose(bg, walks, t, None), compose(bg, [w for w in walks if w is not far], t, None)
    assert np.array_equal(with_far[core], without_far[core])
    assert not np.array_equal(compose(bg, [far], t, None)[core], bg[core])
