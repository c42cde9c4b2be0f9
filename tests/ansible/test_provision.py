"""The edge playbook applied for real to a Debian bookworm root (chroot connection), then updated.

Everything but starting services runs as on a device: apt, accounts, sshd, chrony, nftables, the release venv
with pip, /etc/footfall, credentials and the unit. Without a running systemd the roles only enable services.
"""
import shutil
import stat

import pytest
from debroot import HOST_ARCH, BootedRoot, DebRoot, Unavailable
from fleet_lab import Lab, build_wheel

from footfall.edge.models import DEFAULT_DIR

# one worker builds the root once; a booted unit with apt and pip inside takes minutes on a busy machine
pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("debian-root"), pytest.mark.timeout(2400)]
HOST = "lab-entrance"


@pytest.fixture(scope="module")
def unit(debian_base, make_root, tmp_path_factory, wheel):
    directory = tmp_path_factory.mktemp("fleet")
    root = make_root(debian_base(HOST_ARCH), directory / "unit")
    lab = Lab(directory, {HOST: (root.path, {"footfall_role": "entrance", "footfall_camera": "usb"})})
    first = lab.play("site.yml", "-e", f"edge_app_wheel={wheel}")
    return lab, root, first


def current_release(root: DebRoot) -> str:
    return (root.path / "opt/footfall/current").readlink().name


def test_site_playbook_installs_everything(unit, wheel):
    lab, root, first = unit
    assert first.rc == 0 and not first.failures, first.failures
    etc = root.path / "etc/footfall"
    for secret in ("site-secret", "device-key"):
        st = (etc / "credentials" / secret).stat()
        assert stat.S_IMODE(st.st_mode) == 0o600 and st.st_uid == 0
    assert (etc / "credentials/site-secret").read_text().strip() == lab.site_secret
    release = root.path / "opt/footfall/releases" / current_release(root)
    assert current_release(root).startswith("0.1.0-") and (release / "models/SHA256SUMS").exists()
    wants = root.path / "etc/systemd/system"
    assert (wants / "multi-user.target.wants/footfall-edge.service").is_symlink()
    assert (wants / "sysinit.target.wants/nftables.service").is_symlink()
    assert "PasswordAuthentication no" in (root.path / "etc/ssh/sshd_config.d/50-footfall.conf").read_text()
    assert "server ntp.lab.example iburst" in (root.path / "etc/chrony/sources.d/footfall.sources").read_text()
    # the rendered config and the installed release agree, inside the root
    ok = root.run("/opt/footfall/current/bin/footfall-edge", "validate-config", "/etc/footfall/edge.yaml")
    assert ok.returncode == 0, ok.stderr
    check = root.run("/opt/footfall/current/bin/footfall-edge", "check", "--offline", env={
        "FOOTFALL_MODELS_DIR": "/opt/footfall/current/models", "CREDENTIALS_DIRECTORY": "/etc/footfall/credentials"})
    assert check.returncode == 0 and "client certificate /etc/footfall/tls/device.crt matches its key" in check.stdout
    assert root.run("id", "-nG", "footfall").stdout.split() == ["footfall", "video"]
    rules = root.run("nft", "--check", "--file", "/etc/nftables.conf")  # the host kernel checks the rules
    assert rules.returncode == 0, rules.stderr


def test_second_run_changes_nothing_and_check_mode_is_clean(unit, wheel):
    lab, _, first = unit
    assert first.rc == 0
    again = lab.play("site.yml", "-e", f"edge_app_wheel={wheel}")
    assert again.rc == 0 and again.changed(HOST) == 0, again.changed_tasks(HOST)
    check = lab.play("site.yml", "-e", f"edge_app_wheel={wheel}", check=True)
    assert check.rc == 0 and not check.failures and check.changed(HOST) == 0, check.changed_tasks(HOST)


def test_update_rolls_back_a_release_that_fails_its_health_check(unit, wheel, tmp_path):
    lab, root, first = unit
    assert first.rc == 0
    before = current_release(root)
    new_wheel = build_wheel(tmp_path / "dist", version="0.1.1")
    bad_models = tmp_path / "models"
    shutil.copytree(DEFAULT_DIR, bad_models)
    model = bad_models / "sface_dynint8.tflite"
    data = bytearray(model.read_bytes())
    data[5000] ^= 0xFF
    model.write_bytes(bytes(data))

    failed = lab.play("update.yml", "-e", f"edge_app_wheel={new_wheel}", "-e", f"edge_app_models_src={bad_models}")
    assert failed.rc != 0 and failed.stats[HOST]["rescued"] == 1
    assert any("rolled back to " + before in f and "does not match SHA256SUMS" in f for f in failed.failures), failed.failures
    assert current_release(root) == before

    landed = lab.play("update.yml", "-e", f"edge_app_wheel={new_wheel}")
    assert landed.rc == 0, landed.failures
    assert current_release(root).startswith("0.1.1-")
    version = root.run("/opt/footfall/current/bin/footfall-edge", "--version")
    assert "0.1.1" in version.stdout


def test_update_on_a_booted_unit_restarts_the_service_and_rolls_back_a_failing_release(unit, tmp_path):
    """The same root booted with systemd as PID 1: the live path of update.yml (restart, the 20 s watch, rollback)."""
    lab, root, first = unit
    assert first.rc == 0
    try:
        booted = BootedRoot(root)
    except Unavailable as e:
        pytest.skip(str(e))

    def service() -> dict:
        out = booted.run("systemctl", "show", "footfall-edge", "--property=ActiveState,NRestarts,MainPID").stdout
        return dict(line.split("=", 1) for line in out.split())

    try:
        assert service()["ActiveState"] == "active"  # enabled by site.yml, started at boot
        lab.connect(HOST, ansible_connection="community.docker.nsenter", ansible_nsenter_pid=booted.pid)
        new_wheel = build_wheel(tmp_path / "dist", version="0.1.2")
        before = service()["MainPID"]
        landed = lab.play("update.yml", "-e", f"edge_app_wheel={new_wheel}")
        assert landed.rc == 0, landed.failures
        good = current_release(root)
        now = service()
        assert good.startswith("0.1.2-") and now["ActiveState"] == "active" and now["MainPID"] != before
        assert now["NRestarts"] == "0", booted.run("journalctl", "-u", "footfall-edge", "-n", "40", "--no-pager").stdout

        bad_models = tmp_path / "models"
        shutil.copytree(DEFAULT_DIR, bad_models)
        (bad_models / "sface_dynint8.tflite").write_bytes(b"not a model")
        failed = lab.play("update.yml", "-e", f"edge_app_wheel={new_wheel}", "-e", f"edge_app_models_src={bad_models}")
        assert failed.rc != 0 and any(f"rolled back to {good}" in f for f in failed.failures), failed.failures
        after = service()
        assert current_release(root) == good and after["ActiveState"] == "active" and after["MainPID"] != now["MainPID"]
    finally:
        booted.stop()
        lab.connect(HOST, ansible_connection="community.general.chroot")
