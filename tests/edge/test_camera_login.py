"""A stream's login comes from a credential, never from edge.yaml, and its password never reaches a log or an error."""
import logging
import socket
import threading
from urllib.parse import unquote, urlsplit

import pytest
import yaml

from footfall.edge.capture.reconnect import ReconnectingSource
from footfall.edge.capture.sources import CaptureError, open_source
from footfall.edge.capture.urls import redact
from footfall.edge.config import EdgeConfig, load
from footfall.protocol.configfile import ConfigError

PASSWORD = "hunter2/p@ss:#?"  # characters a URL would otherwise misread


def write(tmp_path, camera: dict):
    cfg = {"site": "mall-west", "device": "store-a", "role": "store", "timezone": "Europe/Berlin",
           "privacy": {"level": "counts"}, "camera": camera}
    path = tmp_path / "edge.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


@pytest.mark.parametrize("source, says", [
    ("rtsp://admin:hunter2@10.0.0.21:554/stream1", "login (user:password@)"),
    ("rtsp://admin@10.0.0.21/stream1", "login (user:password@)"),
    ("http://10.0.0.21/video.mjpg?user=admin&pwd=hunter2", "query string carries a password"),
    ("rtspsrc location=rtsp://10.0.0.21/s user-id=admin user-pw=hunter2 ! decodebin ! appsink", "user-pw="),
])
def test_a_login_in_the_source_is_refused_with_what_to_do(tmp_path, source, says):
    with pytest.raises(ConfigError) as e:
        load(write(tmp_path, {"source": source}))
    (problem,) = e.value.problems
    assert problem.field == "camera.source" and problem.line == 8 and says in problem.reason
    assert "camera.password: {credential: rtsp-password}" in problem.reason
    assert "hunter2" not in str(e.value)
    with pytest.raises(ValueError) as direct:  # the pydantic error itself does not repeat the URL either
        EdgeConfig.model_validate(yaml.safe_load(write(tmp_path, {"source": source}).read_text()))
    assert "hunter2" not in str(direct.value)


def test_login_fields_are_checked(tmp_path):
    with pytest.raises(ConfigError, match="camera: camera.password needs camera.username"):
        load(write(tmp_path, {"source": "rtsp://10.0.0.21/s", "password": {"credential": "rtsp-password"}}))
    with pytest.raises(ConfigError, match="stream URLs"):
        load(write(tmp_path, {"source": "/dev/video0", "username": "admin", "password": {"credential": "rtsp-password"}}))
    with pytest.raises(ConfigError, match="camera.password: inline secrets are not allowed"):
        load(write(tmp_path, {"source": "rtsp://10.0.0.21/s", "username": "admin", "password": "hunter2"}))


def test_the_password_comes_from_the_credential_when_the_stream_is_opened(tmp_path, monkeypatch):
    creds = tmp_path / "credentials"
    creds.mkdir()
    (creds / "rtsp-password").write_text(PASSWORD + "\n")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(creds))
    cfg = load(write(tmp_path, {"source": "rtsp://10.0.0.21:554/stream1", "username": "admin",
                                "password": {"credential": "rtsp-password"}}))
    url = urlsplit(cfg.camera.stream_source())
    # percent-encoded: FFmpeg decodes the userinfo once before it answers the camera's challenge
    assert (unquote(url.username), unquote(url.password)) == ("admin", PASSWORD)
    assert (url.hostname, url.port, url.path) == ("10.0.0.21", 554, "/stream1")
    assert cfg.camera.display_source == "rtsp://10.0.0.21:554/stream1"
    (creds / "rtsp-password").write_text("\n")  # the unit file's empty default: no credential installed
    with pytest.raises(ValueError, match="rtsp-password.*empty"):
        cfg.camera.stream_source()


def test_redact_hides_every_form_of_password():
    assert redact("rtsp://admin:hunter2@10.0.0.21/s") == "rtsp://admin:***@10.0.0.21/s"
    assert redact("rtsp://admin:hun/ter@2@10.0.0.21/s") == "rtsp://admin:***@10.0.0.21/s"
    assert redact("http://cam/v.cgi?user=admin&password=hunter2&ch=1") == "http://cam/v.cgi?user=admin&password=***&ch=1"
    assert "hunter2" not in redact("rtspsrc location=rtsp://cam/s user-pw=hunter2 ! appsink")
    assert redact("/dev/video0") == "/dev/video0"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_stream_is_logged_without_its_password(caplog, capfd):
    url = f"rtsp://admin:{PASSWORD}@127.0.0.1:{closed_port()}/stream1"
    with pytest.raises(CaptureError) as e:
        open_source(url)
    assert PASSWORD not in str(e.value) and "admin:***@127.0.0.1" in str(e.value)

    stop = threading.Event()
    threading.Timer(2.5, stop.set).start()
    caplog.set_level(logging.DEBUG)
    src = ReconnectingSource(lambda: open_source(url), stop, initial_s=0.2, max_s=0.5)
    assert list(src.frames()) == [] and src.state == "lost"
    retries = [r for r in caplog.records if r.name == "footfall.edge.capture.reconnect"]
    assert len(retries) >= 2 and all("admin:***@127.0.0.1" in r.getMessage() for r in retries)
    out, err = capfd.readouterr()  # FFmpeg's and OpenCV's own messages too
    assert PASSWORD not in caplog.text + out + err and "hunter2" not in caplog.text + out + err


def test_service_with_a_stream_login_never_logs_the_password(tmp_path, monkeypatch, caplog, capfd):
    from footfall.edge.app import run

    creds = tmp_path / "credentials"
    creds.mkdir()
    (creds / "rtsp-password").write_text(PASSWORD + "\n")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(creds))
    cfg = EdgeConfig.model_validate({
        "site": "lab", "device": "cam-login", "role": "store", "timezone": "UTC", "privacy": {"level": "counts"},
        "camera": {"source": f"rtsp://127.0.0.1:{closed_port()}/stream1", "username": "admin",
                   "password": {"credential": "rtsp-password"}},
        "outbox": {"dir": str(tmp_path)}, "mqtt": {"host": "127.0.0.1", "port": 1}})
    caplog.set_level(logging.DEBUG)
    stop = threading.Event()
    threading.Timer(2.5, stop.set).start()
    assert run(cfg, stop=stop) == 0
    out, err = capfd.readouterr()
    shown = cfg.camera.source  # edge.yaml's URL, which has no login in it, is all that is ever shown
    assert f"cannot open '{shown}'" in caplog.text and f"running: {shown}" in caplog.text
    assert PASSWORD not in caplog.text + out + err and "hunter2" not in caplog.text + out + err


def test_check_fails_on_a_missing_stream_password(tmp_path, monkeypatch):
    from footfall.edge.selfcheck import run_checks

    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(tmp_path))
    cfg = load(write(tmp_path, {"source": "rtsp://10.0.0.21/s", "username": "admin",
                                "password": {"credential": "rtsp-password"}}))
    login = {r.name: r for r in run_checks(cfg)}["camera login"]
    assert not login.ok and "rtsp-password" in login.detail
    (tmp_path / "rtsp-password").write_text(PASSWORD)
    login = {r.name: r for r in run_checks(cfg)}["camera login"]
    assert login.ok and PASSWORD not in login.detail
