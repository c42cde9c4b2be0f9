"""footfall-edge enroll / galleries / feedback / unenroll on the committed fixture faces (real detector and SFace)."""
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from footfall.edge.__main__ import main

FACES = Path(__file__).resolve().parents[2] / "fixtures" / "faces"


@pytest.fixture
def config(tmp_path):
    (tmp_path / "gallery.key").write_text("cd" * 32)
    (tmp_path / "site.secret").write_text("ef" * 32)
    f = tmp_path / "edge.yaml"
    f.write_text(f"""site: mall
device: entrance-1
role: entrance
timezone: Europe/Berlin
site_secret: {{file: {tmp_path}/site.secret}}
camera: {{source: video.mp4}}
recognition:
  gallery: {tmp_path}/gallery.enc
  key: {{file: {tmp_path}/gallery.key}}
  audit_log: {tmp_path}/audit.jsonl
  vip: {{}}
""")
    return f


def run(*args):
    r = CliRunner().invoke(main, list(args))
    return r


def test_enroll_feedback_unenroll(config, tmp_path):
    cfg = ["--config", str(config)]
    r = run("enroll", *cfg, "--list", "staff", "--ref", "s-1", "--basis", "HR-1", "--expires", "2099-01-01",
            "--photos", str(FACES / "person_a"))
    assert r.exit_code != 0 and "not enabled" in r.output  # staff is not an enabled list here
    r = run("enroll", *cfg, "--list", "vip", "--ref", "vip-0007", "--basis", "CONSENT-7", "--expires", "2099-01-01",
            "--photos", str(FACES / "person_a"))
    assert r.exit_code == 0, r.output
    listed = json.loads(run("galleries", *cfg).output)
    assert [(e["ref"], e["faces"]) for e in listed] == [("vip-0007", 2)] and "vectors" not in json.dumps(listed)

    r = run("feedback", *cfg, "--ref", "vip-0007", "--wrong")
    assert r.exit_code == 0 and json.loads(r.output)["threshold"] == 0.65  # the list's 0.6 raised one step
    assert json.loads(run("galleries", *cfg).output)[0]["threshold"] == 0.65

    assert run("unenroll", *cfg, "--ref", "vip-0007").exit_code == 0
    assert json.loads(run("galleries", *cfg).output) == []
    raw = (tmp_path / "gallery.enc").read_bytes() + (tmp_path / "audit.jsonl").read_bytes()
    assert b"vip-0007" not in raw and b"CONSENT-7" not in raw  # keyed tags only, in the audit log
    events = [json.loads(line)["event"] for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert events == ["enroll", "feedback", "remove"]
    assert run("unenroll", *cfg, "--ref", "vip-0007").exit_code != 0  # nothing left to remove


def test_photos_without_a_usable_face_are_refused(config, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    r = run("enroll", "--config", str(config), "--list", "vip", "--ref", "vip-1", "--basis", "C", "--expires",
            "2099-01-01", "--photos", str(empty))
    assert r.exit_code != 0 and "usable face" in r.output and not (tmp_path / "gallery.enc").exists()


def test_check_opens_the_gallery_or_names_the_problem(config, tmp_path):
    from footfall.edge.config import load
    from footfall.edge.selfcheck import run_checks

    run("enroll", "--config", str(config), "--list", "vip", "--ref", "vip-1", "--basis", "C-1", "--expires",
        "2099-01-01", "--photos", str(FACES / "person_b"))
    results = {r.name: r for r in run_checks(load(config))}
    assert results["recognition"].ok and results["recognition"].detail == "gallery opens; entries: vip 1"
    (tmp_path / "gallery.key").write_text("00" * 32)  # a unit given another site's key
    results = {r.name: r for r in run_checks(load(config))}
    assert not results["recognition"].ok and "wrong key" in results["recognition"].detail


def test_enroll_from_the_camera(tmp_path):
    """--camera N: N good frames a second apart from the unit's camera (here a file source: 4 s of one person)."""
    import cv2
    import numpy as np

    photo = cv2.imread(str(FACES / "person_b" / "person_b_1.jpg"))
    h, w = photo.shape[:2]
    video = tmp_path / "cam.mp4"
    out = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), 5, (640, 480))
    scale = min(400 / h, 560 / w)
    small = cv2.resize(photo, (int(w * scale), int(h * scale)))
    for i in range(20):
        frame = np.full((480, 640, 3), 90, np.uint8)
        frame[20:20 + small.shape[0], 40 + i:40 + i + small.shape[1]] = small  # a little movement
        out.write(frame)
    out.release()
    cfg = tmp_path / "edge.yaml"
    (tmp_path / "gallery.key").write_text("cd" * 32)
    (tmp_path / "site.secret").write_text("ef" * 32)
    cfg.write_text(f"""site: mall
device: store-1
role: store
timezone: UTC
site_secret: {{file: {tmp_path}/site.secret}}
camera: {{source: {video}, fps: 5}}
zones: [{{id: floor, polygon: [[0, 0], [1, 0], [1, 1]]}}]
recognition:
  gallery: {tmp_path}/gallery.enc
  key: {{file: {tmp_path}/gallery.key}}
  audit_log: {tmp_path}/audit.jsonl
  staff: {{}}
""")
    r = run("enroll", "--config", str(cfg), "--list", "staff", "--ref", "s-0003", "--basis", "HR-3", "--expires",
            "2099-01-01", "--camera", "3")
    assert r.exit_code == 0, r.output
    assert r.output.count("frame ") == 3 and json.loads(r.output.splitlines()[-1])["faces"] == 3
