"""The RTSP password's way from the vault to the service: edge_app's checks, credential and template (run locally)."""
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from footfall.edge.config import load

ROOT = Path(__file__).resolve().parents[2]
ROLE = ROOT / "ansible/roles/edge_app"
BIN = Path(sys.executable).parent


def role_vars(source: str, username: str = "", password: str = "") -> dict:
    defaults = yaml.safe_load((ROLE / "defaults/main.yml").read_text())
    fixed = yaml.safe_load((ROLE / "vars/main.yml").read_text())
    return {**defaults,  # the role's defaults, as a play gets them; the unit's own below
            "edge_app_etc": fixed["edge_app_etc"], "edge_app_site": "mall-west", "edge_app_device": "store-a",
            "edge_app_role": "store", "edge_app_timezone": "Europe/Berlin", "edge_app_privacy": {"level": "counts"},
            "edge_app_source": source, "edge_app_camera_username": username, "edge_app_camera_password": password,
            "edge_app_camera": {}, "edge_app_detector": {}, "edge_app_embedder": {}, "edge_app_lines": [],
            "edge_app_zones": [], "edge_app_displays": [], "edge_app_mqtt_host": "mqtt.example", "edge_app_mqtt_port": 8883,
            "edge_app_tls_ca": "", "edge_app_tls_cert": "", "edge_app_tls_key": "", "edge_app_site_secret": ""}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """Play edge_app's login check, its credential list and its template for three units, on this machine."""
    out = tmp_path_factory.mktemp("edge_app")
    tasks = yaml.safe_load((ROLE / "tasks/configure.yml").read_text())
    check = next(t for t in tasks if "RTSP login" in t["name"])
    secrets = next(t for t in tasks if "credentials" in t["name"])["ansible.builtin.copy"]["dest"]
    loop = next(t for t in tasks if "credentials" in t["name"])["loop"]
    units = {"rtsp": role_vars("rtsp://10.20.0.51:554/stream1", "footfall", "hunter2"),
             "usb": role_vars("/dev/video0"),
             "inline": role_vars("rtsp://footfall:hunter2@10.20.0.51/stream1")}
    plays = [{"name": name, "hosts": "localhost", "gather_facts": False, "vars": v, "tasks": [
        {"name": "check", "block": [{**{k: w for k, w in check.items() if k != "name"}, "name": "login check"}],
         "rescue": [{"ansible.builtin.copy": {"content": "refused", "dest": f"{out}/{name}.refused", "mode": "0600"}}]},
        {"ansible.builtin.copy": {"content": "{{ credentials | to_json }}", "dest": f"{out}/{name}.credentials.json",
                                  "mode": "0600"}, "vars": {"credentials": loop}, "no_log": True},
        {"ansible.builtin.template": {"src": str(ROLE / "templates/edge.yaml.j2"), "dest": f"{out}/{name}.yaml", "mode": "0600"}},
    ]} for name, v in units.items()]
    (out / "play.yml").write_text(yaml.safe_dump(plays, sort_keys=False))
    p = subprocess.run([BIN / "ansible-playbook", "-i", "localhost,", "-c", "local", "-e",
                        f"ansible_python_interpreter={sys.executable}", str(out / "play.yml")],
                       capture_output=True, text=True, timeout=300, cwd=out)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    assert secrets.startswith("{{ edge_app_etc }}/credentials/")
    return out, p.stdout + p.stderr


def test_a_unit_with_a_login_gets_the_password_as_a_credential_not_in_its_config(rendered):
    out, log = rendered
    cfg = load(out / "rtsp.yaml")
    assert cfg.camera.source == "rtsp://10.20.0.51:554/stream1" and cfg.camera.username == "footfall"
    assert cfg.camera.password.credential == "rtsp-password"
    assert "hunter2" not in (out / "rtsp.yaml").read_text() and "hunter2" not in log
    creds = {c["name"]: c["value"] for c in json.loads((out / "rtsp.credentials.json").read_text())}
    assert creds["rtsp-password"] == "hunter2"  # what the role installs as /etc/footfall/credentials/rtsp-password


def test_a_unit_without_a_login_has_none(rendered):
    out, _ = rendered
    cfg = load(out / "usb.yaml")
    assert cfg.camera.username is None and cfg.camera.password is None
    assert {c["name"]: c["value"] for c in json.loads((out / "usb.credentials.json").read_text())}["rtsp-password"] == ""


def test_a_login_in_the_inventory_url_stops_the_role(rendered):
    out, log = rendered
    assert (out / "inline.refused").exists() and not (out / "rtsp.refused").exists() and not (out / "usb.refused").exists()
    assert "footfall_camera_username and footfall_camera_password" in log
