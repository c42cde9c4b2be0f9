"""The edge playbook applied for real to a Debian bookworm root (chroot connection), then updated.

Everything but starting services runs as on a device: apt, accounts, sshd, chrony, nftables, the release venv
with pip, /etc/footfall, credentials and the unit. Without a running systemd the roles only enable services.
"""
import shutil
import stat

import pytest
from debroot import HOST_ARCH, DebRoot
from fleet_lab import Lab, build_wheel

from edge.models import DEFAULT_DIR

pytestmark = pytest.mark.integration
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
    check = root.run("/opt/footfall/current/bin/footfall-edge", "check", env={
        "FOOTFALL_MODELS_DIR": "/opt/footfall/current/models", "CREDENTIALS_DIRECTORY": "/etc/footfall/credentials"})
    assert check.returncode == 0 and "client certificate /etc/footfall/tls/device.crt matches its key" in check.stdout
    assert root.run("id", "-nG", "footfall").stdout.split() == ["footfall", "video"]


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
