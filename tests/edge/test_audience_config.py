"""privacy.audience: off by default, and refused at load (naming the rule and the YAML line) where the privacy level or
the jurisdiction profile forbids it."""
from pathlib import Path

import pytest

from footfall.edge.config import load
from footfall.protocol.configfile import ConfigError

BASE = """site: mall-west
device: display-1
role: display
timezone: Europe/Berlin
site_secret: {file: /etc/footfall/site.secret}
camera: {source: video.mp4}
"""


def config(tmp_path: Path, privacy: str, extra: str = "") -> Path:
    f = tmp_path / "edge.yaml"
    f.write_text(BASE + extra + "privacy:\n" + privacy)
    return f


def test_off_by_default(tmp_path):
    c = load(config(tmp_path, "  level: site\n"))
    assert c.privacy.audience.age_gender is False and c.privacy.audience.reactions is False


def test_allowed_where_the_profile_allows(tmp_path):
    c = load(config(tmp_path, "  jurisdiction: us\n  audience: {age_gender: true, reactions: true}\n"))
    assert c.privacy.audience.age_gender and c.privacy.audience.reactions
    assert load(config(tmp_path, "  jurisdiction: eu\n  audience: {age_gender: true}\n")).privacy.audience.age_gender
    assert load(config(tmp_path, "  jurisdiction: uk\n  audience: {reactions: true}\n")).privacy.audience.reactions


@pytest.mark.parametrize("privacy, rule", [
    ("  jurisdiction: eu\n  audience: {reactions: true}\n", "emotion-inference-jurisdiction"),
    ("  jurisdiction: us-il\n  audience: {reactions: true}\n", "emotion-inference-jurisdiction"),
    ("  jurisdiction: us-il\n  audience: {age_gender: true}\n", "audience-age-gender-jurisdiction"),
    ("  level: counts\n  jurisdiction: us\n  audience: {age_gender: true}\n", "audience-needs-embedding-level"),
])
def test_forbidden_combinations_are_refused_with_their_rule_and_line(tmp_path, privacy, rule):
    with pytest.raises(ConfigError) as e:
        load(config(tmp_path, privacy))
    text = str(e.value)
    assert rule in text and "privacy" in text
    assert f":{BASE.count(chr(10)) + 1}:" in text  # the line of `privacy:`


def test_reactions_allowed_at_counts_level(tmp_path):
    """The expression model computes no identity embedding, so level `counts` does not forbid it."""
    f = config(tmp_path, "  level: counts\n  jurisdiction: us\n  audience: {reactions: true}\n")
    assert load(f).privacy.audience.reactions


def test_a_jurisdiction_without_a_rule_is_refused(tmp_path):
    """The rule reads privacy.jurisdiction as an allow-list: a profile added later (e.g. "other") is refused until a
    rule is written for it."""
    from footfall.edge.audience.rules import audience_problem

    assert "emotion-inference-jurisdiction" in audience_problem("site", "other", False, True)
    assert "audience-age-gender-jurisdiction" in audience_problem("site", "other", True, False)
    assert audience_problem("site", "other", False, False) is None


def test_refused_in_person_mode(tmp_path):
    f = config(tmp_path, "  jurisdiction: us\n  audience: {age_gender: true}\n",
               extra="detector: {person: {enabled: true}}\n")
    with pytest.raises(ConfigError, match="audience-face-mode"):
        load(f)


def test_thresholds_are_bounded(tmp_path):
    with pytest.raises(ConfigError, match="min_gender_confidence"):
        load(config(tmp_path, "  jurisdiction: us\n  audience: {age_gender: true, min_gender_confidence: 0.3}\n"))
