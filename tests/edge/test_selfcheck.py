"""`footfall-edge check`, the health check the install and update playbooks run, as a real subprocess.

The static checks (secret, geometry, TLS files, models) run with --offline; the live ones read a synthetic video as
the camera and need a PUBACK from a real mosquitto.
"""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml
from pki import Ca

from footfall.edge.capture import reference
from footfall.edge.models import DEFAULT_DIR

CLI = [sys.executable, "-m", "footfall.edge"]
DOOR = [{"id": "door", "a": [0.05, 0.6], "b": [0.95, 0.6]}]


def write_config(tmp_path: Path, **overrides) -> Path:
    cfg = {"site": "mall-west", "device": "entrance-north", "role": "entrance", "timezone": "Europe/Berlin",
           "privacy": {"level": "site"}, "site_secret": {"file": str(tmp_path / "site.secret")},
           "camera": {"source": "/dev/video0", "width": 640, "height": 360}, "lines": DOOR,
           "outbox": {"dir": str(tmp_path / "state")}} | overrides
    path = tmp_path / "edge.yaml"
    path.write_text(yaml.safe_dump({k: v for k, v in cfg.items() if v is not None}))
    return path


def check(config: Path, *args, **env) -> tuple[int, dict]:
    p = subprocess.run(CLI + ["check", "--config", str(config), "--json", *args], capture_output=True, text=True,
                       env=os.environ | env, timeout=120)
    return p.returncode, json.loads(p.stdout)


def test_a_sound_unit_passes_every_check(tmp_path):
    ca = Ca(tmp_path / "pki")
    cert, key = ca.issue("entrance-north")
    (tmp_path / "site.secret").write_text("ab" * 32)
    config = write_config(tmp_path, mqtt={"tls": {"ca": str(ca.crt), "cert": str(cert), "key": {"file": str(key)}}})
    code, results = check(config, "--offline")
    assert code == 0, results
    assert "sface_dynint8.tflite" in results["models"]["detail"] and "matches its key" in results["mqtt tls"]["detail"]
    assert "camera frames" not in results and "broker" not in results  # --offline


def test_counts_level_needs_no_secret_and_loads_no_embedder(tmp_path):
    config = write_config(tmp_path, privacy={"level": "counts"}, site_secret=None)
    code, results = check(config, "--offline")
    assert code == 0 and "sface" not in results["models"]["detail"]


def test_each_broken_part_fails_by_name(tmp_path):
    ca, other = Ca(tmp_path / "pki"), Ca(tmp_path / "other", "other-ca")
    cert, _ = ca.issue("entrance-north")
    _, wrong_key = other.issue("entrance-north")
    (tmp_path / "site.secret").write_text("short")
    tampered = tmp_path / "models"
    shutil.copytree(DEFAULT_DIR, tampered)
    data = bytearray((tampered / "sface_dynint8.tflite").read_bytes())
    data[5000] ^= 0xFF
    (tampered / "sface_dynint8.tflite").write_bytes(bytes(data))
    config = write_config(tmp_path, mqtt={"tls": {"ca": str(ca.crt), "cert": str(cert), "key": {"file": str(wrong_key)}}})
    code, results = check(config, "--offline", FOOTFALL_MODELS_DIR=str(tampered))
    assert code == 1
    assert not results["site secret"]["ok"] and "at least 16" in results["site secret"]["detail"]
    assert results["mqtt tls"]["detail"].startswith("mqtt.tls.cert / mqtt.tls.key:")
    assert not results["models"]["ok"] and "does not match SHA256SUMS" in results["models"]["detail"]


def test_a_unit_that_would_count_nothing_or_leak_fails_naming_the_field(tmp_path):
    ca = Ca(tmp_path / "pki")
    (tmp_path / "site.secret").write_text("00000000000000000000000000000000example0site0secret0000000000000000\n")
    config = write_config(tmp_path, lines=None, mqtt={"tls": {"ca": str(ca.crt)}})
    code, results = check(config, "--offline")
    assert code == 1
    assert results["site secret"]["detail"].startswith("site_secret: this is the example secret")
    assert results["geometry"]["detail"] == "lines: a unit of role entrance needs at least one"
    assert results["mqtt tls"]["detail"].startswith("mqtt.tls.cert: a CA is set")
    assert results["models"]["ok"] and results["camera login"]["ok"]  # only the broken parts fail
    display = write_config(tmp_path, role="display", lines=None, privacy={"level": "counts"}, site_secret=None,
                           zones=[{"id": "aisle", "polygon": [[0, 0.3], [1, 0.3], [1, 1]]}])
    code, results = check(display, "--offline")
    assert code == 1 and results["geometry"]["detail"].startswith("displays:")


def test_the_cli_prints_one_line_per_problem_naming_the_field(tmp_path):
    (tmp_path / "site.secret").write_text("00000000000000000000000000000000example0site0secret0000000000000000")
    config = write_config(tmp_path, lines=None)
    p = subprocess.run(CLI + ["check", "--config", str(config), "--offline"], capture_output=True, text=True, timeout=120)
    fails = [line for line in p.stderr.splitlines() if line.startswith("FAIL")]
    assert p.returncode == 1 and len(fails) == 2, p.stderr
    assert fails[0].startswith("FAIL site secret: site_secret:") and fails[1].startswith("FAIL geometry: lines:")


def test_credentials_come_from_the_credentials_directory(tmp_path):
    creds = tmp_path / "credentials"
    creds.mkdir()
    (creds / "site-secret").write_text("cd" * 32)
    config = write_config(tmp_path, site_secret={"credential": "site-secret"}, privacy={"level": "counts"})
    assert check(config, "--offline", CREDENTIALS_DIRECTORY=str(creds))[0] == 0
    config = write_config(tmp_path, site_secret={"credential": "site-secret"})
    code, results = check(config, "--offline")  # no CREDENTIALS_DIRECTORY: not run by systemd
    assert code == 1 and results["site secret"]["detail"].startswith("site_secret: credential 'site-secret'")
    assert "CREDENTIALS_DIRECTORY" in results["site secret"]["detail"]
    assert check(config, "--offline", CREDENTIALS_DIRECTORY=str(creds))[0] == 0


# --- live checks: a synthetic camera view and a real broker ---------------------------------------------------


def write_video(path: Path, scene: np.ndarray, seconds: float, fps: int = 15) -> Path:
    h, w = scene.shape[:2]
    out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    rng = np.random.default_rng(0)
    for _ in range(int(seconds * fps)):  # sensor noise, so the feed is not `frozen`
        out.write(np.clip(scene + rng.normal(0, 3, scene.shape), 0, 255).astype(np.uint8))
    out.release()
    return path


@pytest.fixture(scope="module")
def views(tmp_path_factory):
    """The commissioned view and the same wall after the camera was turned (shifted by a fifth of the image)."""
    d = tmp_path_factory.mktemp("views")
    rng = np.random.default_rng(3)
    scene = cv2.GaussianBlur(rng.integers(0, 255, (360, 640, 3), dtype=np.uint8), (0, 0), 6)
    scene = cv2.normalize(scene, None, 0, 255, cv2.NORM_MINMAX).astype(np.float32)
    turned = np.roll(scene, (40, 130), axis=(0, 1))
    return write_video(d / "view.mp4", scene, 7), write_video(d / "turned.mp4", turned, 7)


@pytest.fixture(scope="module")
def covered(tmp_path_factory) -> Path:
    """The same camera with its lens covered: a near-black, noisy feed."""
    return write_video(tmp_path_factory.mktemp("covered") / "covered.mp4", np.full((360, 640, 3), 4.0, np.float32), 7)


def commission_view(video: Path, state: Path) -> reference.Reference:
    background = reference.Background()
    cap = cv2.VideoCapture(str(video))
    for _ in range(30):
        ok, image = cap.read()
        assert ok
        background.add(image)
    cap.release()
    return reference.save(state, background.edges())


def live_config(tmp_path: Path, video: Path, port: int, **overrides) -> Path:
    (tmp_path / "site.secret").write_text("ab" * 32)
    return write_config(tmp_path, privacy={"level": "counts"}, site_secret=None, health_interval_s=5,
                        camera={"source": str(video), "backend": "opencv", "width": 640, "height": 360},
                        mqtt={"host": "127.0.0.1", "port": port}, **overrides)


@pytest.mark.integration
def test_live_checks_need_frames_the_commissioned_view_and_a_puback(tmp_path, broker, views, covered):
    view, turned = views
    config = live_config(tmp_path, view, broker.port)
    code, results = check(config)
    assert code == 0, results
    assert "no reference view stored yet" in results["camera frames"]["detail"]
    assert results["broker"]["detail"].startswith(f"PUBACK from 127.0.0.1:{broker.port}")
    assert "footfall/v1/mall-west/entrance-north/check" in results["broker"]["detail"]

    stored = commission_view(view, tmp_path / "state")
    code, results = check(config)
    assert code == 0 and stored.signature in results["camera frames"]["detail"], results

    code, results = check(live_config(tmp_path, turned, broker.port))  # knocked askew since commissioning
    assert code == 1 and results["camera frames"]["detail"].startswith("camera: moved:"), results

    code, results = check(live_config(tmp_path, covered, broker.port))  # lens covered (or lights off)
    assert code == 1 and results["camera frames"]["detail"].startswith("camera: dark:"), results

    code, results = check(live_config(tmp_path, tmp_path / "no-such-camera.mp4", broker.port))
    assert code == 1 and results["camera frames"]["detail"].startswith("camera.source"), results


@pytest.mark.integration
def test_no_puback_fails_the_broker_check(tmp_path, views):
    from footfall.devserver.services import Mosquitto, ensure_installed, free_port

    code, results = check(live_config(tmp_path, views[0], free_port()))  # nobody listening
    assert code == 1 and results["broker"]["detail"].startswith("mqtt.host/mqtt.port 127.0.0.1:"), results

    # a broker whose ACL lets anonymous clients publish below another device's prefix only: MQTT 5's PUBACK says no
    ensure_installed(("mosquitto",))
    acl = tmp_path / "acl"
    acl.write_text("topic write footfall/v1/mall-west/other-unit/+\n")
    strict = Mosquitto("mosquitto", tmp_path / "strict", free_port())
    strict.extra_conf = f"acl_file {acl}"
    strict.start()
    try:
        code, results = check(live_config(tmp_path, views[0], strict.port))
        assert code == 1 and "refused the message" in results["broker"]["detail"], results
        assert "Not authorized" in results["broker"]["detail"]
    finally:
        strict.stop()


@pytest.mark.integration
def test_a_restarted_unit_whose_view_was_turned_reports_moved(tmp_path, broker, views):
    """`run` compares with the view stored at commissioning from its first frame, instead of re-learning it."""
    from mqtt_recorder import Recorder

    view, turned = views
    commission_view(view, tmp_path / "state")
    rec = Recorder(broker.port, "footfall/v1/mall-west/entrance-north/health")
    try:
        states, checks = {}, {}
        for name, video in (("same", view), ("turned", turned)):
            rec.messages.clear()
            config = live_config(tmp_path, video, broker.port)
            subprocess.run(CLI + ["run", "--config", str(config), "--fast"], check=True, capture_output=True, timeout=120)
            assert rec.wait_for(lambda ms: len(ms) >= 1, 10), name
            states[name] = [json.loads(p)["camera"] for _, p in rec.messages]
            # check on a unit whose service ran moments ago asks the service (a USB camera opens only once)
            checks[name] = check(config)
        assert set(states["same"]) == {"ok"} and set(states["turned"]) == {"moved"}, states
        assert checks["same"][0] == 0 and "the running service reads" in checks["same"][1]["camera frames"]["detail"]
        assert checks["turned"][0] == 1
        assert checks["turned"][1]["camera frames"]["detail"].startswith("camera: moved: the running service's view")
    finally:
        rec.close()


def test_a_service_that_just_started_is_waited_for(tmp_path):
    """Its first camera report comes one health interval after a start: check waits for it, not for ever."""
    import threading

    from footfall.edge.capture import service_status

    assert service_status.await_fresh(tmp_path, within_s=10, wait_s=0.3, poll_s=0.05) is None
    threading.Timer(0.3, service_status.write, (tmp_path, 14.9, "ok", 0)).start()
    status = service_status.await_fresh(tmp_path, within_s=10, wait_s=5, poll_s=0.05)
    assert status is not None and status["fps"] == 14.9 and status["camera"] == "ok"
    assert service_status.fresh(tmp_path, within_s=-1) is None  # an old report is no news of a running service
