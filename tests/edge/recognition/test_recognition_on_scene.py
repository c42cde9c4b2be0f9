"""An identity enrolled from some photos (../shared/data/deepface_ids) is recognised in a rendered entrance scene from
another photo, impostors are not; enrolled as staff, it leaves the customer counts and visits and shows as staff
presence. Real pipeline (`replay`), real CLI, real models."""
import json
import shutil
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from footfall.edge.__main__ import main

SRC = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "deepface_ids"
TARGET, IMPOSTORS = "id00", ["id01", "id02", "id03"]


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    if not SRC.is_dir():
        pytest.skip(f"needs identity photos at {SRC}, absent here")
    from footfall.bench.render import render_scene
    from footfall.bench.render.spec import SceneSpec

    root = tmp_path_factory.mktemp("recognition-scene")
    faces = root / "faces"
    for ident in [TARGET, *IMPOSTORS]:  # the scene shows each identity's last photo
        (faces / ident).mkdir(parents=True)
        last = sorted((SRC / ident).iterdir())[-1]
        shutil.copy(last, faces / ident / last.name)
    spec = SceneSpec(seed=3, visitors=4, duration_s=40, return_fraction=0.0, store_visit_prob=0, display_pass_prob=0,
                     walk_s=(3.0, 4.0), devices=["entrance"])
    truth = render_scene(spec, faces, root / "scene")
    enroll = root / "enroll"  # enrollment uses the target's other photos, never the one in the scene
    enroll.mkdir()
    for p in sorted((SRC / TARGET).iterdir())[:-1]:
        shutil.copy(p, enroll / p.name)
    return root, truth, enroll


def run_with(scene, tmp_path: Path, list_: str) -> tuple[list[dict], Path]:
    from footfall.edge.app import replay
    from footfall.edge.config import load

    root, truth, enroll = scene
    (tmp_path / "gallery.key").write_text("ab" * 32)
    cfg = yaml.safe_load((root / "scene" / "entrance.yaml").read_text())
    cfg["recognition"] = {"gallery": str(tmp_path / "gallery.enc"), "key": {"file": str(tmp_path / "gallery.key")},
                          "audit_log": str(tmp_path / "audit.jsonl"), "vip": {}, "staff": {}}
    cfg["outbox"]["dir"] = str(tmp_path / "state")
    (tmp_path / "edge.yaml").write_text(yaml.safe_dump(cfg))
    cli = CliRunner()
    r = cli.invoke(main, ["enroll", "--config", str(tmp_path / "edge.yaml"), "--list", list_, "--ref", "m-0001",
                          "--basis", "CONSENT-1", "--expires", "2099-12-31", "--photos", str(enroll)])
    assert r.exit_code == 0, r.output
    listed = json.loads(cli.invoke(main, ["galleries", "--config", str(tmp_path / "edge.yaml")]).output)
    assert listed == [{"ref": "m-0001", "list": list_, "basis": "CONSENT-1", "faces": len(list(enroll.iterdir())),
                       "expires": "2099-12-31T23:59:59.999999+00:00", "threshold": None}]
    c = load(tmp_path / "edge.yaml")
    replay(c, str(root / "scene" / "entrance.mp4"), tmp_path / "events.jsonl", c.read_site_secret(), progress=False)
    return [json.loads(line) for line in (tmp_path / "events.jsonl").read_text().splitlines()], tmp_path / "audit.jsonl"


def trip_of(truth: dict, identity: str) -> tuple[float, float, str]:
    (v,) = [v for v in truth["visitors"] if v["identity"] == identity]
    return v["trips"][0]["arrive"], v["trips"][0]["leave"], v["id"]


def ts(s: str) -> float:
    return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


def test_vip_recognised_from_another_photo_impostors_not(scene, tmp_path):
    messages, audit = run_with(scene, tmp_path, "vip")
    arrive, leave, _ = trip_of(scene[1], TARGET)
    alerts = [m for m in messages if m["kind"] == "alerts"]
    assert len(alerts) == 1, alerts  # one walker, one alert; none for the three impostors
    (a,) = alerts
    assert a["list"] == "vip" and a["entry"] == "m-0001" and arrive <= ts(a["seen_at"]) <= leave
    assert set(a) <= {"schema_version", "msg_id", "site", "device", "seq", "ts", "kind", "list", "entry", "zone",
                      "seen_at", "score"}  # no image, no embedding
    events = [json.loads(line)["event"] for line in audit.read_text().splitlines()]
    assert events == ["enroll", "match"]
    # the same events reach the cloud as audit messages, without faces (the enrollment too: the CLI wrote it before)
    sent = [(m["event"], m["list"]) for m in messages if m["kind"] == "audit"]
    assert sent == [("enroll", "vip"), ("match", "vip")]
    assert sum(m["kind"] == "visits" for m in messages) >= 4  # a VIP is still a customer


def test_staff_leave_customer_counts_and_visits(scene, tmp_path):
    messages, _ = run_with(scene, tmp_path, "staff")
    truth = scene[1]
    arrive, leave, target = trip_of(truth, TARGET)
    assert not [m for m in messages if m["kind"] == "alerts"]
    counts = [m for m in messages if m["kind"] == "counts"]
    ins = sum(row["in"] for m in counts for row in m["lines"])
    truth_in = [x for x in truth["devices"]["entrance"]["crossings"] if x["direction"] == "in"]
    assert ins == len([x for x in truth_in if x["visitor"] != target]) == len(truth_in) - 1
    assert sum(m["staff"]["people"] for m in counts) == 1 and sum(m["staff"]["present_s"] for m in counts) > 1.0
    # no visit (and so no code) overlaps the staff member's walk alone
    visits = [m for m in messages if m["kind"] == "visits"]
    others = [trip_of(truth, i) for i in IMPOSTORS]
    for v in visits:
        mid = (ts(v["first_seen"]) + ts(v["last_seen"])) / 2
        assert any(a <= mid <= b for a, b, _ in others), v
