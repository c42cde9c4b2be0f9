"""What an edge unit installs: the edge wheel (make wheel) carries footfall.protocol and footfall.edge, nothing else."""
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from fleet_lab import wheel_build_lock

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.integration  # pip builds the wheel (and fetches setuptools from the package index)


def test_edge_wheel_installs_no_cloud_bench_or_dev_server_code(tmp_path):
    with wheel_build_lock():
        subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path / "dist"),
                        str(ROOT)], check=True, capture_output=True, env={**os.environ, "FOOTFALL_TARGET": "edge"})
    wheel = next((tmp_path / "dist").glob("footfall-*.whl"))
    venv.create(tmp_path / "venv", with_pip=True)
    py = tmp_path / "venv" / "bin" / "python"
    subprocess.run([py, "-m", "pip", "install", "-q", "--no-deps", str(wheel)], check=True, capture_output=True)
    site = Path(subprocess.run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    modules = {p.relative_to(site).parts[1] for p in (site / "footfall").rglob("*.py")}
    assert modules == {"protocol", "edge"}
    files = [p.relative_to(site / "footfall").as_posix() for p in (site / "footfall").rglob("*.py")]
    assert "edge/__main__.py" in files and "edge/capture/sources.py" in files  # sub-packages came along
    scripts = {p.name for p in (tmp_path / "venv" / "bin").glob("footfall-*")}
    assert scripts == {"footfall-edge"}


def test_edge_wheel_runs_on_jetpack_6s_python_and_the_project_on_3_11(tmp_path):
    """The edge wheel asks Python 3.10 (JetPack 6) with the runtime that has a cp310 wheel; the whole project 3.11."""
    import email
    import zipfile

    def metadata(target: str):
        out = tmp_path / target
        with wheel_build_lock():
            subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(ROOT)], check=True,
                           capture_output=True, env={**os.environ, "FOOTFALL_TARGET": target})
        with zipfile.ZipFile(next(out.glob("footfall-*.whl"))) as whl:
            return email.message_from_bytes(whl.read(next(n for n in whl.namelist() if n.endswith(".dist-info/METADATA"))))

    edge, everything = metadata("edge"), metadata("all")
    assert edge["Requires-Python"] == ">=3.10" and everything["Requires-Python"] == ">=3.11"
    runtimes = [r for r in edge.get_all("Requires-Dist") if r.startswith("ai-edge-litert")]
    assert any("==1.4.0" in r and "python_version < \"3.11\"" in r for r in runtimes), runtimes
