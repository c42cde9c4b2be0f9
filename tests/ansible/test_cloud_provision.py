"""The cloud playbook applied for real to a Debian bookworm root (chroot connection): broker with its certificates,
ACL and CRL, Debian's influxdb, Grafana's provisioning (not Grafana itself: its apt repository is unreachable
here), the cloud wheel in a venv, cloud.yaml, credentials, units and the state backup; then a second run and
--check change nothing. The database is set up through the v1 API on a real influxd (the test's own, standing in
for the operator's server, since a chroot runs no services)."""
import json
import os
import stat
import subprocess
import uuid
from pathlib import Path

import pytest
import requests
import yaml
from debroot import HOST_ARCH
from fleet_lab import BIN, PIP_ENV, ROOT, Lab, wheel_build_lock

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("debian-root-cloud"), pytest.mark.timeout(1800)]
HOST = "cloud-1"


class CloudLab(Lab):
    """One cloud host over the chroot connection, its controller-side PKI directory, vault values as plain vars."""

    def __init__(self, directory: Path, root: Path, wheel: Path, influx_url: str, database: str):
        self.dir = directory
        inv = directory / "inventory"
        (inv / "group_vars").mkdir(parents=True)
        self.pki = directory / "pki"
        host = {"ansible_connection": "community.general.chroot", "ansible_host": str(root),
                "ansible_python_interpreter": "/usr/bin/python3", "ansible_become": False}
        (inv / "hosts.yml").write_text(yaml.safe_dump({"all": {"children": {"cloud": {"hosts": {HOST: host}}}}}))
        (inv / "group_vars/cloud.yml").write_text(yaml.safe_dump({
            "footfall_pki_dir": str(self.pki), "footfall_influx_database": database,
            "footfall_mqtt_host": "broker.lab.example",
            "cloud_mosquitto_server_names": ["broker.lab.example", "127.0.0.1"],
            "footfall_cloud_config": {
                "sites": [{"id": "lab", "timezone": "Europe/Berlin", "entrances": ["door-a"],
                           "stores": [{"id": "shop", "zones": ["shop-floor"]}]}],
                "shard": "0/1", "state_dir": "/var/lib/footfall-cloud"},
            "cloud_influxdb_url": influx_url,  # the test's influxd: a chroot runs no services
            "cloud_grafana_repo": False,  # apt.grafana.com is unreachable from here
            "cloud_app_wheel": str(wheel),
            "cloud_app_pip_environment": {k: v for k, v in os.environ.items() if k in PIP_ENV},
            "vault_influxdb_admin_password": "admin-" + uuid.uuid4().hex,
            "vault_influxdb_footfall_password": "svc-" + uuid.uuid4().hex,
            "vault_influxdb_grafana_password": "graf-" + uuid.uuid4().hex,
        }))
        self.vault_password = directory / "vault-password"
        self.vault_password.write_text("unused")
        self.inventory = inv / "hosts.yml"


def cloud_wheel(out: Path) -> Path:
    """The default target's wheel: footfall.cloud with it (make wheel builds the edge's)."""
    with wheel_build_lock():
        subprocess.run([BIN / "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(ROOT)], check=True,
                       capture_output=True, env={**os.environ, "FOOTFALL_TARGET": "all"})
    return next(out.glob("footfall-*.whl"))


@pytest.fixture(scope="module")
def cloud(debian_base, make_root, tmp_path_factory, influxd):
    directory = tmp_path_factory.mktemp("cloud")
    root = make_root(debian_base(HOST_ARCH), directory / "root")
    database = f"cloud_{uuid.uuid4().hex[:8]}"
    lab = CloudLab(directory, root.path, cloud_wheel(directory / "dist"), influxd.url, database)
    first = lab.play("cloud.yml")
    return lab, root, first, database


def test_cloud_playbook_installs_broker_database_grafana_and_services(cloud, influxd):
    lab, root, first, database = cloud
    assert first.rc == 0 and not first.failures, first.failures
    etc = root.path / "etc"
    # the broker: the shipped config in place of Debian's, certificates from the fleet CA, the ACL, the CRL
    assert (etc / "mosquitto/mosquitto.conf").read_text() == (ROOT / "deploy/mosquitto/mosquitto.conf").read_text()
    acl = (etc / "mosquitto/footfall/acl").read_text()
    assert "pattern write footfall/v1/%u/+" in acl and "user footfall-cloud\ntopic read footfall/v1/#" in acl
    key = (etc / "mosquitto/footfall/server.key").stat()
    assert stat.S_IMODE(key.st_mode) == 0o640 and root.run("stat", "-c", "%G", "/etc/mosquitto/footfall/server.key").stdout.strip() == "mosquitto"
    assert (etc / "mosquitto/footfall/crl.pem").read_bytes() == (lab.pki / "crl.pem").read_bytes()
    san = root.run("openssl", "x509", "-noout", "-ext", "subjectAltName", "-in", "/etc/mosquitto/footfall/server.crt")
    assert "DNS:broker.lab.example" in san.stdout and "IP Address:127.0.0.1" in san.stdout
    assert "auth-enabled = true" in (etc / "influxdb/influxdb.conf").read_text()
    wants = etc / "systemd/system"
    for unit in ("multi-user.target.wants/mosquitto.service", "multi-user.target.wants/influxdb.service",
                 "multi-user.target.wants/footfall-ingest.service", "multi-user.target.wants/footfall-api.service",
                 "timers.target.wants/footfall-backup.timer"):
        assert (wants / unit).is_symlink(), unit
    # Grafana: provisioning and the dashboards, the read-only login in grafana-server's environment
    assert sorted(p.name for p in (root.path / "var/lib/grafana/dashboards/footfall").iterdir()) == \
        sorted(p.name for p in (ROOT / "deploy/grafana/dashboards").iterdir())
    env = (etc / "default/grafana-server-footfall").read_text()
    assert f"FOOTFALL_INFLUX_DATABASE={database}" in env and stat.S_IMODE((etc / "default/grafana-server-footfall").stat().st_mode) == 0o600
    # the services: cloud.yaml valid for the installed release, credentials root-only
    ok = root.run("/opt/footfall/venv/bin/footfall-cloud", "validate-config", "/etc/footfall/cloud.yaml")
    assert ok.returncode == 0, ok.stderr
    cfg = yaml.safe_load((etc / "footfall/cloud.yaml").read_text())
    assert cfg["mqtt"]["client_id"] == "footfall-cloud" and cfg["influx"]["database"] == database
    for secret in ("footfall/tls/cloud.key", "footfall/influx.password", "footfall/smtp.password"):
        st = (etc / secret).stat()
        assert stat.S_IMODE(st.st_mode) == 0o600 and st.st_uid == 0, secret
    # the database: created with its default retention policy and the two users, on the real server
    def q(text: str) -> list:
        r = requests.post(f"{influxd.url}/query", data={"q": text}, timeout=10)
        return r.json()["results"][0].get("series", [{}])[0].get("values", [])
    assert ["footfall", "9600h0m0s", "168h0m0s", 1, True] in q(f'SHOW RETENTION POLICIES ON "{database}"')
    assert [database, "READ"] in q('SHOW GRANTS FOR "grafana"') and [database, "ALL PRIVILEGES"] in q('SHOW GRANTS FOR "footfall"')


def test_state_backup_leaves_out_the_coded_visits(cloud):
    _, root, first, _ = cloud
    assert first.rc == 0
    state = root.path / "var/lib/footfall-cloud"
    state.mkdir(parents=True, exist_ok=True)
    made = root.run("sqlite3", "/var/lib/footfall-cloud/ingest.sqlite",
                    "CREATE TABLE spool (id INTEGER PRIMARY KEY, lines TEXT); INSERT INTO spool (lines) VALUES ('m f=1i 1');"
                    "CREATE TABLE link_visits (id INTEGER PRIMARY KEY, site TEXT, period TEXT, payload BLOB);"
                    "INSERT INTO link_visits (site, period, payload) VALUES ('lab', '2026-11-20', 'code-abcdef');")
    assert made.returncode == 0, made.stderr
    backup = root.run("/usr/local/sbin/footfall-backup-ingest-state")
    assert backup.returncode == 0, backup.stderr
    copies = list((root.path / "var/backups/footfall").glob("ingest-*.sqlite"))
    assert len(copies) == 1 and stat.S_IMODE(copies[0].stat().st_mode) == 0o600
    inside = "/" + str(copies[0].relative_to(root.path))
    counts = root.run("sqlite3", inside, "SELECT (SELECT count(*) FROM spool), (SELECT count(*) FROM link_visits)")
    assert counts.stdout.strip() == "1|0"
    assert b"code-abcdef" not in copies[0].read_bytes()


def test_second_run_changes_nothing_and_check_mode_is_clean(cloud):
    lab, _, first, _ = cloud
    assert first.rc == 0
    again = lab.play("cloud.yml")
    assert again.rc == 0 and again.changed(HOST) == 0, again.changed_tasks(HOST)
    check = lab.play("cloud.yml", check=True)
    assert check.rc == 0 and not check.failures and check.changed(HOST) == 0, check.changed_tasks(HOST)


def test_revoking_a_unit_pushes_the_crl(cloud):
    lab, root, first, _ = cloud
    assert first.rc == 0
    pki = [str(BIN / "python"), str(ROOT / "deploy/mosquitto/pki.py"), "--dir", str(lab.pki)]
    subprocess.run([*pki, "device", "lab", "door-stolen"], check=True, capture_output=True)
    subprocess.run([*pki, "revoke", "lab/door-stolen"], check=True, capture_output=True)
    pushed = lab.play("cloud.yml", "--tags", "crl")
    assert pushed.rc == 0 and pushed.changed_tasks(HOST) == ["cloud_mosquitto : Install the CA, the broker's certificate and key, and the CRL"]
    crl = root.run("openssl", "crl", "-noout", "-text", "-in", "/etc/mosquitto/footfall/crl.pem").stdout
    serial = json.loads((lab.pki / "index.json").read_text())["revoked"][-1]["serial"]
    assert serial.upper().lstrip("0") in crl.replace(":", "").upper()
