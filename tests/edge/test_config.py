import subprocess
import sys
from pathlib import Path

import pytest

from footfall.edge.config import load
from footfall.protocol.configfile import ConfigError

MINIMAL = """site: mall-west
device: entrance-1
role: entrance
timezone: Europe/Berlin
site_secret: {file: /etc/footfall/site.secret}
camera: {source: video.mp4}
"""


def write(tmp_path: Path, text: str) -> Path:
    f = tmp_path / "edge.yaml"
    f.write_text(text)
    return f


def test_minimal_config_gets_defaults(tmp_path):
    c = load(write(tmp_path, MINIMAL))
    assert c.privacy.level == "site" and c.privacy.rotation.period == "daily" and c.interval_s == 60
    assert c.detector.model == "full_range"


def test_secret_required_unless_counts_only(tmp_path):
    text = MINIMAL.replace("site_secret: {file: /etc/footfall/site.secret}\n", "")
    with pytest.raises(ConfigError, match="site_secret is required"):
        load(write(tmp_path, text))
    assert load(write(tmp_path, text + "privacy: {level: counts}\n")).site_secret is None


def test_geometry_checks(tmp_path):
    with pytest.raises(ConfigError) as e:
        load(write(tmp_path, MINIMAL + "lines:\n  - {id: door, a: [0.1, 0.5], b: [1.5, 0.5]}\n"))
    assert e.value.problems[0].line == 8 and e.value.problems[0].field == "lines.0.b.0"
    with pytest.raises(ConfigError, match="unknown zone 'nowhere'"):
        load(write(tmp_path, MINIMAL + "displays:\n  - {id: screen, zone: nowhere}\n"))
    with pytest.raises(ConfigError, match="unique.*door"):
        load(write(tmp_path, MINIMAL + "lines:\n  - {id: door, a: [0, 0], b: [1, 1]}\n"
                                        "zones:\n  - {id: door, polygon: [[0, 0], [1, 0], [1, 1]]}\n"))


def test_follow_threshold_is_below_the_start_threshold(tmp_path):
    with pytest.raises(ConfigError, match="7: detector: follow_confidence: at most min_confidence"):
        load(write(tmp_path, MINIMAL + "detector: {min_confidence: 0.5, follow_confidence: 0.7}\n"))


def test_bad_timezone(tmp_path):
    with pytest.raises(ConfigError, match="4: timezone: unknown time zone"):
        load(write(tmp_path, MINIMAL.replace("Europe/Berlin", "Europe/Atlantis")))


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "footfall.edge", *args], capture_output=True, text=True)


def test_validate_config_cli(tmp_path):
    ok = run_cli("validate-config", str(write(tmp_path, MINIMAL)))
    assert ok.returncode == 0 and ok.stdout.strip().endswith(": ok")
    bad = run_cli("validate-config", str(write(tmp_path, MINIMAL + "camera_x: 1\n")))
    assert bad.returncode == 2
    assert bad.stderr.strip() == f"{tmp_path / 'edge.yaml'}:7: camera_x: unknown key"


def test_run_with_an_unreadable_site_secret_says_which_file(tmp_path):
    config = write(tmp_path, MINIMAL.replace("/etc/footfall/site.secret", str(tmp_path / "absent.secret")))
    r = run_cli("run", "--config", str(config))
    assert r.returncode == 2
    assert f"cannot read {tmp_path / 'absent.secret'}: No such file or directory" in r.stderr
    assert "Traceback" not in r.stderr
