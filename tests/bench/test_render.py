import pytest
import json

import cv2
import numpy as np

from footfall.bench.render import render_scene
from footfall.bench.render.spec import SceneSpec
from footfall.edge.config import EdgeConfig
from footfall.protocol.configfile import load_config

pytestmark = pytest.mark.scene


def test_scene_has_videos_configs_and_truth(scene):
    out, truth = scene
    assert set(truth["devices"]) == {"entrance", "store-a", "display"}
    for device, d in truth["devices"].items():
        cap = cv2.VideoCapture(str(out / d["video"]))
        assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == d["frames"] == 1500
        cfg = load_config(out / d["config"], EdgeConfig)
        assert cfg.device == device and cfg.camera.source == str(out / d["video"])
    assert json.loads((out / "truth.json").read_text()) == truth


def test_truth_is_consistent(scene):
    _, truth = scene
    visitors = {v["id"]: v for v in truth["visitors"]}
    assert len(visitors) == 4
    assert len({v["identity"] for v in visitors.values()}) == 4
    returning = [v for v in visitors.values() if len(v["trips"]) == 2]
    assert returning, "identities with two photos come back"
    for v in returning:  # a return trip uses another photo of the same identity
        assert v["trips"][0]["photo"] != v["trips"][1]["photo"]
        assert v["trips"][1]["arrive"] > v["trips"][0]["leave"]
    ent = truth["devices"]["entrance"]["crossings"]
    trips = sum(len(v["trips"]) for v in visitors.values())
    assert sum(c["direction"] == "in" for c in ent) == trips == sum(c["direction"] == "out" for c in ent)
    for zv in truth["devices"]["store-a"]["zone_visits"]:
        assert zv["exit"] > zv["enter"]
    for look in truth["devices"]["display"]["looks"]:
        assert 1.5 <= look["end"] - look["start"] <= 4.0


def test_same_seed_same_scene(tmp_path, fixture_faces):
    spec = SceneSpec(seed=3, visitors=2, duration_s=40, devices=["entrance"], return_fraction=0, store_visit_prob=0,
                     display_pass_prob=0, dwell_s=(2, 3))
    a = render_scene(spec, fixture_faces, tmp_path / "a")
    b = render_scene(spec, fixture_faces, tmp_path / "b")
    assert a["visitors"] == b["visitors"] and a["devices"]["entrance"]["crossings"] == b["devices"]["entrance"]["crossings"]
    fa, fb = (cv2.VideoCapture(str(tmp_path / x / "entrance.mp4")) for x in "ab")
    for _ in range(60):
        assert np.array_equal(fa.read()[1], fb.read()[1])
    c = render_scene(spec.model_copy(update={"seed": 4}), fixture_faces, tmp_path / "c")
    assert c["visitors"] != a["visitors"]


def test_cli_renders_from_a_spec_file(tmp_path, fixture_faces):
    from click.testing import CliRunner

    from footfall.bench.cli import main

    spec = tmp_path / "spec.yaml"
    spec.write_text("seed: 5\nvisitors: 1\nduration_s: 30\ndevices: [entrance]\nreturn_fraction: 0\n"
                    "store_visit_prob: 0\ndisplay_pass_prob: 0\n")
    r = CliRunner().invoke(main, ["render", "--faces", str(fixture_faces), "--out", str(tmp_path / "o"), "--spec", str(spec)])
    assert r.exit_code == 0, r.output
    assert "1 visitors, 1 devices, 2 line crossings" in r.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("seed: 5\nvisitorz: 1\n")
    r = CliRunner().invoke(main, ["render", "--faces", str(fixture_faces), "--out", str(tmp_path / "o"), "--spec", str(bad)])
    assert r.exit_code != 0 and "bad.yaml:2: visitorz: unknown key" in r.output
