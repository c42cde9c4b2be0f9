"""Edge -> real mosquitto: outages, kill -9, TLS, and what the bytes on the wire may contain."""
from __future__ import annotations

import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml
from pki import Ca
from mqtt_recorder import Recorder

from footfall.devserver.services import Mosquitto, free_port
from footfall.protocol import parse_message

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def quiet_video(tmp_path_factory) -> Path:
    """A 90-second 5 fps corridor with sensor noise: the edge publishes counts and health all along."""
    path = tmp_path_factory.mktemp("video") / "corridor.mp4"
    rng = np.random.default_rng(0)
    base = np.full((240, 320, 3), 110, np.uint8)
    noise = [rng.normal(0, 6, base.shape).astype(np.int16) for _ in range(4)]
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 5, (320, 240))
    for i in range(5 * 90):
        w.write(np.clip(base + noise[i % 4], 0, 255).astype(np.uint8))
    w.release()
    return path


def edge_config(tmp: Path, video: Path, port: int, device: str = "entrance-1", **extra) -> Path:
    (tmp / "site.secret").write_text("a-site-secret-of-enough-length-1234")
    cfg = {"site": "mall-test", "device": device, "role": "entrance", "timezone": "UTC",
           "site_secret": {"file": str(tmp / "site.secret")},
           "camera": {"source": str(video), "fps": 5, "width": 320, "height": 240},
           "lines": [{"id": "door", "a": [0.0, 0.5], "b": [1.0, 0.5]}],
           "interval_s": 10, "health_interval_s": 5,
           "mqtt": {"host": "127.0.0.1", "port": port}, "outbox": {"dir": str(tmp / "state")}, **extra}
    path = tmp / "edge.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def start_edge(config: Path, log: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "footfall.edge", "run", "--config", str(config)],
                            stdout=open(log, "ab"), stderr=subprocess.STDOUT)


def data_messages(messages):
    """Parsed non-status messages, deduplicated by msg_id, in arrival order."""
    seen, out = set(), []
    for topic, payload in messages:
        m = parse_message(topic, payload)
        if m.kind != "status" and m.msg_id not in seen:
            seen.add(m.msg_id)
            out.append(m)
    return out


def outbox_seqs(state: Path) -> list[int]:
    db = sqlite3.connect(state / "outbox.sqlite")
    try:
        return [r[0] for r in db.execute("SELECT seq FROM outbox ORDER BY seq")]
    finally:
        db.close()


def wait_queued(state: Path, n: int, timeout: float) -> list[int]:
    """The outbox's sequence numbers once it holds at least n messages."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            queued = outbox_seqs(state) if (state / "outbox.sqlite").exists() else []
        except sqlite3.OperationalError:  # the unit has created the file but not yet its table
            queued = []
        if len(queued) >= n:
            return queued
        time.sleep(0.5)
    raise AssertionError(f"the outbox never held {n} messages")


def test_broker_outage_loses_nothing(services, quiet_video, tmp_path):
    rec = Recorder(services.mosquitto.port)
    edge = start_edge(edge_config(tmp_path, quiet_video, services.mosquitto.port), tmp_path / "edge.log")
    try:
        assert rec.wait_for(lambda ms: len(data_messages(ms)) >= 3, 60), (tmp_path / "edge.log").read_text()
        services.mosquitto.stop()
        # 30 s of 10 s counts and 5 s health pile up on the device while the publisher keeps retrying
        queued = wait_queued(tmp_path / "state", 8, 60)
        services.mosquitto.start()
        assert edge.wait(timeout=150) == 0  # the file ends, the edge flushes and exits cleanly
    finally:
        if edge.poll() is None:
            edge.kill()
        if not services.mosquitto.running:
            services.mosquitto.start()
    assert rec.wait_for(lambda ms: max((m.seq for m in data_messages(ms)), default=-1) >= max(queued), 30)
    rec.close()
    msgs = data_messages(rec.messages)
    seqs = [m.seq for m in msgs]
    assert seqs == list(range(len(seqs)))  # every message, in order, none twice after dedupe by msg_id
    intervals = [m.interval_start for m in msgs if m.kind == "counts"]
    assert len(intervals) == len(set(intervals)) >= 8
    assert outbox_seqs(tmp_path / "state") == []


def test_kill_9_loses_nothing_committed(services, quiet_video, tmp_path):
    config = edge_config(tmp_path, quiet_video, services.mosquitto.port)
    rec = Recorder(services.mosquitto.port)
    services.mosquitto.stop()  # nothing can leave: everything waits in the outbox
    try:
        edge = start_edge(config, tmp_path / "edge.log")
        wait_queued(tmp_path / "state", 6, 90)
        edge.send_signal(signal.SIGKILL)
        edge.wait()
        committed = outbox_seqs(tmp_path / "state")
        assert len(committed) >= 6
    finally:
        services.mosquitto.start()
    again = start_edge(config, tmp_path / "edge2.log")
    try:
        assert rec.wait_for(lambda ms: set(committed) <= {m.seq for m in data_messages(ms)}, 60)
        assert rec.wait_for(lambda ms: max(m.seq for m in data_messages(ms)) > max(committed), 60)
    finally:
        again.send_signal(signal.SIGTERM)
        assert again.wait(timeout=30) == 0  # SIGTERM: flush, say offline, exit 0
    rec.close()
    msgs = data_messages(rec.messages)
    assert len({m.seq for m in msgs}) == len(msgs)  # the restart continued the numbering, never reused it
    statuses = [parse_message(t, p) for t, p in rec.messages if t.endswith("/status")]
    assert statuses[-1].state == "offline"  # the clean SIGTERM shutdown says so itself


def test_last_will_marks_a_killed_unit_offline(services, quiet_video, tmp_path):
    device = "will-1"
    rec = Recorder(services.mosquitto.port, topic=f"footfall/v1/mall-test/{device}/status")
    edge = start_edge(edge_config(tmp_path, quiet_video, services.mosquitto.port, device=device), tmp_path / "edge.log")
    try:
        assert rec.wait_for(lambda ms: any(parse_message(t, p).state == "online" for t, p in ms), 60)
    finally:
        edge.send_signal(signal.SIGKILL)
        edge.wait()
    assert rec.wait_for(lambda ms: parse_message(*ms[-1]).state == "offline", 30)  # published by the broker
    rec.close()


JPEG, PNG = b"\xff\xd8\xff", b"\x89PNG"
FLOAT_RUN = re.compile(rb"(-?\d+\.\d+\s*,\s*){16,}")


def test_published_bytes_carry_no_image_or_embedding(services, scene, tmp_path):
    """A rendered scene with faces, published for real: every byte on the wire is checked."""
    out, _ = scene
    cfg = yaml.safe_load((out / "entrance.yaml").read_text())
    cfg["mqtt"] = {"host": "127.0.0.1", "port": services.mosquitto.port}
    cfg["outbox"] = {"dir": str(tmp_path / "state")}
    (tmp_path / "edge.yaml").write_text(yaml.safe_dump(cfg))
    rec = Recorder(services.mosquitto.port, topic="footfall/v1/mall-demo/#")
    r = subprocess.run([sys.executable, "-m", "footfall.edge", "run", "--config", str(tmp_path / "edge.yaml"), "--fast"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert rec.wait_for(lambda ms: any(t.endswith("/visits") for t, _ in ms) and
                        parse_message(*ms[-1]).kind == "status", 30)
    rec.close()
    kinds = set()
    for topic, payload in rec.messages:
        assert JPEG not in payload and PNG not in payload
        assert not FLOAT_RUN.search(payload), payload[:200]
        assert len(payload) < 4096
        kinds.add(parse_message(topic, payload).kind)  # schema-valid: unknown keys would be refused
    assert {"visits", "counts", "health", "status"} <= kinds


@pytest.fixture
def tls_broker(tmp_path):
    ca = Ca(tmp_path / "pki")
    server_crt, server_key = ca.issue("broker", server=True)
    port = free_port()
    broker = Mosquitto("mosquitto", tmp_path / "tls-broker", free_port())
    broker.extra_conf = "\n".join([f"listener {port} 127.0.0.1", f"cafile {ca.crt}", f"certfile {server_crt}",
                                   f"keyfile {server_key}", "require_certificate true", "use_identity_as_username true"])
    broker.start()
    yield ca, port, broker
    broker.stop()


def test_tls_with_client_certificate(tls_broker, quiet_video, tmp_path):
    ca, port, _ = tls_broker
    crt, key = ca.issue("entrance-1")
    rec = Recorder(port, certfile=str(ca.issue("recorder")[0]), keyfile=str(tmp_path / "pki" / "recorder.key"),
                   ca_certs=str(ca.crt))
    config = edge_config(tmp_path, quiet_video, port, mqtt={"host": "127.0.0.1", "port": port, "tls": {
        "ca": str(ca.crt), "cert": str(crt), "key": {"file": str(key)}}})
    edge = start_edge(config, tmp_path / "edge.log")
    try:
        assert rec.wait_for(lambda ms: len(data_messages(ms)) >= 2, 60), (tmp_path / "edge.log").read_text()
    finally:
        edge.send_signal(signal.SIGTERM)
        edge.wait(timeout=30)
        rec.close()


def test_wrong_client_certificate_is_refused_with_a_clear_log_line(tls_broker, quiet_video, tmp_path):
    ca, port, broker = tls_broker
    rogue = Ca(tmp_path / "rogue", "rogue-ca")
    crt, key = rogue.issue("entrance-1")
    config = edge_config(tmp_path, quiet_video, port, mqtt={"host": "127.0.0.1", "port": port, "tls": {
        "ca": str(ca.crt), "cert": str(crt), "key": {"file": str(key)}}})
    log = tmp_path / "edge.log"
    edge = start_edge(config, log)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and "TLS" not in log.read_text():
            time.sleep(0.5)
    finally:
        edge.send_signal(signal.SIGTERM)
        edge.wait(timeout=30)
    text = log.read_text()
    assert re.search(r"mqtt: TLS (handshake|session) with 127\.0\.0\.1:\d+ failed: .*(certificate|alert)", text), text[-3000:]
    assert "connected to" not in text
