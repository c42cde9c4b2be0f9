"""edge and cloud never import each other; protocol imports neither (contracts in pyproject.toml)."""
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_hold():
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    r = subprocess.run([exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "2 kept, 0 broken" in r.stdout


def test_import_edge_needs_no_hardware_libraries():
    code = ("import sys, footfall.edge, footfall.edge.config; "
            "bad = [m for m in ('cv2', 'picamera2', 'ai_edge_litert', 'tflite_runtime', 'gi') if m in sys.modules]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
