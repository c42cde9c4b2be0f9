"""Every example config shipped under deploy/examples validates."""
from pathlib import Path

import pytest

from footfall.cloud.config import CloudConfig
from footfall.edge.config import EdgeConfig
from footfall.protocol.configfile import load_config

EXAMPLES = Path(__file__).resolve().parent.parent / "deploy" / "examples"


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_example_config_is_valid(path):
    model = EdgeConfig if path.name.startswith("edge") else CloudConfig
    load_config(path, model)


def test_there_are_examples_of_both_sides():
    names = [p.name for p in EXAMPLES.glob("*.yaml")]
    assert any(n.startswith("edge") for n in names) and any(n.startswith("cloud") for n in names)
