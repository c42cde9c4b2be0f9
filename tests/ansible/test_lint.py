"""The playbooks pass ansible-lint's production profile, and every role documents its arguments."""
import subprocess
import sys
from pathlib import Path

import yaml

ANSIBLE = Path(__file__).resolve().parents[2] / "ansible"
BIN = Path(sys.executable).parent


def test_ansible_lint_production_profile_passes():
    p = subprocess.run([BIN / "ansible-lint", "--profile", "production", "--nocolor"], cwd=ANSIBLE,
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    assert "it passed" in p.stdout + p.stderr


def test_every_role_has_argument_specs_for_what_its_defaults_set():
    roles = sorted(d for d in (ANSIBLE / "roles").iterdir() if d.is_dir())
    assert {r.name for r in roles} >= {"edge_base", "edge_camera", "edge_app"}
    for role in roles:
        options = yaml.safe_load((role / "meta/argument_specs.yml").read_text())["argument_specs"]["main"]["options"]
        defaults = yaml.safe_load((role / "defaults/main.yml").read_text()) or {}
        assert set(defaults) <= set(options), f"{role.name}: undocumented {set(defaults) - set(options)}"


def test_example_inventory_parses_with_its_vault():
    p = subprocess.run([BIN / "ansible-inventory", "-i", "inventories/example/hosts.yml", "--list",
                        "--vault-password-file", "inventories/example/vault-password.example"],
                       cwd=ANSIBLE, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    import json

    hostvars = json.loads(p.stdout)["_meta"]["hostvars"]
    assert set(hostvars) == {"mw-entrance-north", "mw-store-a", "mw-display-atrium", "on-entrance", "on-entrance-leavers"}
    for name, hv in hostvars.items():
        assert hv["footfall_role"] in {"entrance", "store", "display"} and hv["footfall_camera"] in {"pi", "jetson", "usb", "rtsp"}
        assert hv["footfall_site"] in {"mall-west", "outlet-north"}, name
    assert len(hostvars["mw-entrance-north"]["vault_footfall_site_secret"]) >= 32


def test_example_cloud_inventory_gives_a_valid_cloud_yaml():
    """footfall_cloud_config plus what cloud_app fills in is a cloud.yaml the aggregator accepts."""
    from footfall.cloud.config import CloudConfig

    group = yaml.safe_load((ANSIBLE / "inventories/example-cloud/group_vars/cloud/main.yml").read_text())
    CloudConfig.model_validate(group["footfall_cloud_config"] | {
        "mqtt": {"host": group["footfall_mqtt_host"], "port": 8883, "client_id": "footfall-cloud",
                 "tls": {"ca": "/etc/footfall/tls/ca.crt", "cert": "/etc/footfall/tls/cloud.crt",
                         "key": {"credential": "cloud-key"}}},
        "influx": {"url": "http://127.0.0.1:8086", "database": group["footfall_influx_database"], "username": "footfall",
                   "password": {"credential": "influx-password"}}})
