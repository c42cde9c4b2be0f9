import configparser
import socket
from pathlib import Path

import pytest
import yaml

from footfall.edge.systemd import Notifier

ROOT = Path(__file__).resolve().parents[2]


def unit(name: str) -> configparser.ConfigParser:
    cp = configparser.ConfigParser(strict=False, interpolation=None)
    cp.optionxform = str
    cp.read(ROOT / "deploy" / "systemd" / name)
    return cp


def test_edge_unit_is_notify_with_watchdog_state_and_credentials():
    text = (ROOT / "deploy/systemd/footfall-edge.service").read_text()
    svc = unit("footfall-edge.service")["Service"]
    assert svc["Type"] == "notify" and int(svc["WatchdogSec"]) > 0 and svc["StateDirectory"] == "footfall"
    creds = {line.split("=", 1)[1].split(":")[0] for line in text.splitlines() if line.startswith("LoadCredential=")}
    example = yaml.safe_load((ROOT / "deploy/examples/edge-entrance.yaml").read_text())
    used = {example["site_secret"]["credential"], example["mqtt"]["tls"]["key"]["credential"]}
    assert used <= creds  # every credential the example config asks for is loaded by the unit
    assert example["outbox"]["dir"] == "/var/lib/footfall"  # = StateDirectory


def credentials_in(node) -> set[str]:
    if isinstance(node, dict):
        return ({node["credential"]} if set(node) == {"credential"} else set()).union(*map(credentials_in, node.values()))
    if isinstance(node, list):
        return set().union(*map(credentials_in, node))
    return set()


def test_every_credential_an_edge_config_names_is_loaded_and_may_be_absent():
    text = (ROOT / "deploy/systemd/footfall-edge.service").read_text()

    def settings(key: str) -> dict[str, str]:
        return dict(line.split("=", 1)[1].split(":", 1) for line in text.splitlines() if line.startswith(key + "="))

    loaded, defaults = settings("LoadCredential"), settings("SetCredential")
    used = set().union(*(credentials_in(yaml.safe_load(p.read_text())) for p in (ROOT / "deploy/examples").glob("edge-*.yaml")))
    assert used >= {"site-secret", "device-key", "rtsp-password"} and used <= set(loaded)
    assert all(path == f"/etc/footfall/credentials/{name}" for name, path in loaded.items())  # where edge_app puts them
    # a unit has only the credentials its config uses: each one's absence falls back to an empty default
    # (systemd fails a start on a missing LoadCredential= file unless a SetCredential= of the name exists)
    assert defaults == {name: "\\n" for name in loaded}


def test_notifier_speaks_sd_notify(tmp_path, monkeypatch):
    path = str(tmp_path / "notify.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(path)
    server.settimeout(2)
    monkeypatch.setenv("NOTIFY_SOCKET", path)
    monkeypatch.setenv("WATCHDOG_USEC", "2000000")
    n = Notifier()
    n.send("READY=1")
    n.watchdog()
    n.watchdog()  # within half the watchdog period: not sent again
    assert server.recv(64) == b"READY=1" and server.recv(64) == b"WATCHDOG=1"
    server.settimeout(0.2)
    try:
        extra = server.recv(64)
    except socket.timeout:
        extra = None
    assert extra is None and n.interval_s == 1.0


def test_notifier_is_silent_outside_systemd(tmp_path, monkeypatch):
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(str(tmp_path / "notify.sock"))
    server.settimeout(0.2)
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    monkeypatch.setenv("WATCHDOG_USEC", "2000000")
    n = Notifier()
    n.send("READY=1")  # no socket named: no error, and nothing sent anywhere
    n.watchdog()
    assert n.addr is None
    with pytest.raises(socket.timeout):
        server.recv(64)
