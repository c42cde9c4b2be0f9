"""The edge runs on the Python a Jetson ships (JetPack 6: 3.10): vermin finds nothing newer in edge/ or protocol/.

A static check on every run; tests/ansible/test_python310.py runs the edge tests on a real 3.10 interpreter.
"""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VERMIN = Path(sys.executable).parent / "vermin"
EDGE_PYTHON = "3.10"


def vermin(*paths: Path) -> subprocess.CompletedProcess:
    # --eval-annotations: pydantic evaluates annotations at run time, so `X | None` and `list[int]` count
    return subprocess.run([str(VERMIN), f"-t={EDGE_PYTHON}-", "--no-tips", "--violations", "--eval-annotations",
                           "--no-parse-comments", *map(str, paths)], capture_output=True, text=True)


def test_edge_and_protocol_need_nothing_newer_than_python_3_10():
    checked = vermin(ROOT / "edge", ROOT / "protocol")
    assert checked.returncode == 0, checked.stdout


def test_the_check_catches_3_11_only_code(tmp_path):
    for source in ("from enum import StrEnum\n", "import tomllib\n", "from datetime import UTC\n",
                   "try:\n    pass\nexcept* ValueError:\n    pass\n"):
        module = tmp_path / "newer.py"
        module.write_text(source)
        assert vermin(module).returncode != 0, source
