import subprocess
import sys

import pytest

from footfall.cloud.config import load
from footfall.protocol.configfile import ConfigError

MINIMAL = """sites:
  - id: mall-west
    timezone: Europe/Berlin
"""


def test_minimal(tmp_path):
    f = tmp_path / "cloud.yaml"
    f.write_text(MINIMAL)
    c = load(f)
    assert c.shard == "0/1" and c.influx.database == "footfall" and c.sites[0].linkability == "daily"


@pytest.mark.parametrize("extra, line, field, reason", [
    ("shard: 3/2\n", 1, "(top)", "shard '3/2': need 0 <= i < n"),
    ("influx:\n  url: localhost:8086\n", 5, "influx.url", "String should match pattern '^https?://'"),
    ("influx:\n  token: abc\n", 5, "influx.token", "inline secrets are not allowed: use {file: PATH} or {credential: NAME}"),
    ("  - id: mall-west\n    timezone: UTC\n", 1, "(top)", "duplicate site ids: mall-west"),
])
def test_errors(tmp_path, extra, line, field, reason):
    f = tmp_path / "cloud.yaml"
    f.write_text(MINIMAL + extra)
    with pytest.raises(ConfigError) as e:
        load(f)
    [p] = e.value.problems
    assert (p.line, p.field, p.reason) == (line, field, reason)


def test_validate_config_cli(tmp_path):
    f = tmp_path / "cloud.yaml"
    f.write_text(MINIMAL + "mqtt:\n  port: 0\n")
    r = subprocess.run([sys.executable, "-m", "footfall.cloud", "validate-config", str(f)], capture_output=True, text=True)
    assert r.returncode == 2
    assert r.stderr.strip() == f"{f}:5: mqtt.port: Input should be greater than or equal to 1"


def test_link_grace_is_bounded(tmp_path):
    """How late a coded visit may arrive and still be linked (docs/linking.md): at most a day past the next period."""
    f = tmp_path / "cloud.yaml"
    f.write_text(MINIMAL + "    link_grace_s: 3600\n")
    assert load(f).sites[0].link_grace_s == 3600
    f.write_text(MINIMAL + "    link_grace_s: 172800\n")
    with pytest.raises(ConfigError) as e:
        load(f)
    [p] = e.value.problems
    assert (p.line, p.field) == (4, "sites.0.link_grace_s") and "less than or equal to 86400" in p.reason
