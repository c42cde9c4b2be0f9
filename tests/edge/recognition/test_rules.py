"""Jurisdiction profiles and privacy level gate recognition at config load, naming the rule and the YAML line."""
from pathlib import Path

import pytest

from footfall.edge.config import load
from footfall.protocol.configfile import ConfigError

BASE = """site: mall-west
device: entrance-1
role: entrance
timezone: Europe/Berlin
site_secret: {file: /etc/footfall/site.secret}
camera: {source: video.mp4}
privacy: {level: LEVEL, jurisdiction: JUR}
recognition:
  key: {credential: gallery-key}
"""


def cfg(tmp_path: Path, lists: str, level: str = "site", jur: str = "eu"):
    f = tmp_path / "edge.yaml"
    f.write_text(BASE.replace("LEVEL", level).replace("JUR", jur) + lists)
    return load(f)


def refused(tmp_path, lists, **kw) -> str:
    with pytest.raises(ConfigError) as e:
        cfg(tmp_path, lists, **kw)
    (p,) = e.value.problems
    assert p.line == 8 and p.field == "recognition"  # the recognition section's line
    return p.reason


def test_recognition_is_off_by_default(tmp_path):
    f = tmp_path / "edge.yaml"
    f.write_text(BASE.split("privacy:")[0])
    assert load(f).recognition is None


def test_allowed_settings_load(tmp_path):
    c = cfg(tmp_path, "  vip: {}\n  staff: {}\n  watchlist: {basis: LB-2026-01}\n")
    assert set(c.recognition.lists) == {"vip", "staff", "watchlist"}
    c = cfg(tmp_path, "  vip: {written_consent: true}\n  staff: {written_consent: true}\n", jur="us-il")
    assert set(c.recognition.lists) == {"vip", "staff"}
    assert cfg(tmp_path, "  staff: {}\n", level="device").recognition.staff is not None


@pytest.mark.parametrize("level", ["counts"])
def test_any_list_at_counts_is_refused(tmp_path, level):
    for lists in ("  vip: {}\n", "  staff: {}\n", "  watchlist: {basis: LB-1}\n"):
        assert "rule R1 (privacy level counts)" in refused(tmp_path, lists, level=level)


@pytest.mark.parametrize("jur", ["eu", "uk", "us"])
def test_watchlist_without_legal_basis_is_refused(tmp_path, jur):
    assert f"rule R3 (jurisdiction {jur})" in refused(tmp_path, "  watchlist: {}\n", jur=jur)


@pytest.mark.parametrize("jur", ["us-il", "other"])
def test_watchlist_forbidden_where_the_profile_forbids_it(tmp_path, jur):
    reason = refused(tmp_path, "  watchlist: {basis: LB-1}\n", jur=jur)
    assert f"rule R2 (jurisdiction {jur}): watchlists are forbidden" in reason


def test_bipa_needs_written_consent_for_every_list(tmp_path):
    reason = refused(tmp_path, "  vip: {}\n  staff: {written_consent: true}\n", jur="us-il")
    assert "rule R4" in reason and "['vip']" in reason


def test_inline_key_is_refused(tmp_path):
    f = tmp_path / "edge.yaml"
    f.write_text(BASE.replace("LEVEL", "site").replace("JUR", "eu").replace("{credential: gallery-key}", "abc") + "  vip: {}\n")
    with pytest.raises(ConfigError, match="inline secrets are not allowed"):
        load(f)
