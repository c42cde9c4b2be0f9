"""`footfall-edge check`, the health check the install and update playbooks run, as a real subprocess."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml
from pki import Ca

from footfall.edge.models import DEFAULT_DIR

CLI = [sys.executable, "-m", "footfall.edge"]


def write_config(tmp_path: Path, **overrides) -> Path:
    cfg = {"site": "mall-west", "device": "entrance-north", "role": "entrance", "timezone": "Europe/Berlin",
           "privacy": {"level": "site"}, "site_secret": {"file": str(tmp_path / "site.secret")},
           "camera": {"source": "/dev/video0", "width": 640, "height": 360}} | overrides
    path = tmp_path / "edge.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def check(config: Path, **env) -> tuple[int, dict]:
    p = subprocess.run(CLI + ["check", "--config", str(config), "--json"], capture_output=True, text=True,
                       env=os.environ | env, timeout=120)
    return p.returncode, json.loads(p.stdout)


def test_a_sound_unit_passes_every_check(tmp_path):
    ca = Ca(tmp_path / "pki")
    cert, key = ca.issue("entrance-north")
    (tmp_path / "site.secret").write_text("ab" * 32)
    config = write_config(tmp_path, mqtt={"tls": {"ca": str(ca.crt), "cert": str(cert), "key": {"file": str(key)}}})
    code, results = check(config)
    assert code == 0, results
    assert "sface_dynint8.tflite" in results["models"]["detail"] and "matches its key" in results["mqtt tls"]["detail"]


def test_counts_level_needs_no_secret_and_loads_no_embedder(tmp_path):
    config = write_config(tmp_path, privacy={"level": "counts"}, site_secret=None)
    code, results = check(config)
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
    code, results = check(config, FOOTFALL_MODELS_DIR=str(tampered))
    assert code == 1
    assert not results["site secret"]["ok"] and "at least 16" in results["site secret"]["detail"]
    assert not results["mqtt tls"]["ok"]
    assert not results["models"]["ok"] and "does not match SHA256SUMS" in results["models"]["detail"]


def test_credentials_come_from_the_credentials_directory(tmp_path):
    creds = tmp_path / "credentials"
    creds.mkdir()
    (creds / "site-secret").write_text("cd" * 32)
    config = write_config(tmp_path, site_secret={"credential": "site-secret"}, privacy={"level": "counts"})
    assert check(config, CREDENTIALS_DIRECTORY=str(creds))[0] == 0
    config = write_config(tmp_path, site_secret={"credential": "site-secret"})
    code, results = check(config)  # no CREDENTIALS_DIRECTORY: not run by systemd
    assert code == 1 and "CREDENTIALS_DIRECTORY" in results["site secret"]["detail"]
    assert check(config, CREDENTIALS_DIRECTORY=str(creds))[0] == 0
