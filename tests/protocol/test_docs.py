"""docs/protocol.md stays true: every example there parses on its topic, one per kind."""
import re
from pathlib import Path

from footfall.protocol import Kind, parse_message

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"


def test_every_documented_example_parses():
    pairs = re.findall(r"topic: `([^`]+)`\n```json\n(.*?)```", DOC.read_text(), flags=re.S)
    kinds = {parse_message(topic, payload).kind for topic, payload in pairs}
    assert kinds == {k.value for k in Kind}
