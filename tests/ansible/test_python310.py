"""The edge on the oldest Python it supports: 3.10, what JetPack 6 (Ubuntu 22.04) ships for its OpenCV with GStreamer.

An Ubuntu jammy root (debootstrap) gets a venv on its own python3 with the edge installed from this tree with the
3.10 pins (deploy/constraints-edge-py310.txt: ai-edge-litert 1.4.0, as 2.x has no cp310 wheel). The edge's unit
tests run there, and a rendered clip replayed there counts and codes like the 3.11 / ai-edge-litert 2.3.0 host.
Native, so about 2 min (the root, pip); skipped where debootstrap, chroot or the Ubuntu archive are unavailable.
"""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from debroot import HOST_ARCH
from fleet_lab import Lab
from replay_events import replay_messages

from footfall.bench.render import render_scene
from footfall.bench.render.spec import SceneSpec
from footfall.edge.identify.codes import hamming

pytestmark = [pytest.mark.integration, pytest.mark.oldpython, pytest.mark.xdist_group("ubuntu-root"),
              pytest.mark.timeout(1200)]
ROOT = Path(__file__).resolve().parents[2]
SRC, VENV, SCENE = "/srv/footfall", "/opt/footfall-py310", "/srv/scene"
# the controller's side (ansible-playbook), not the unit's: it stays on the 3.11 host
CONTROLLER_TESTS = ["tests/edge/test_rtsp_deploy.py"]
# Codes of the same face on two runtimes: the cloud links within 172 of 512 bits, impostors sit near 256; the arm64
# test allows 96 for NEON vs AVX2 kernels, the same margin here.
CODE_MARGIN = 96


@pytest.fixture(scope="module")
def jammy(debian_base, make_root, tmp_path_factory):
    """A jammy root with the edge installed editable from a copy of this tree (so its tests find models/)."""
    root = make_root(debian_base(HOST_ARCH, "ubuntu"), tmp_path_factory.mktemp("jammy") / "unit")
    shutil.copytree(ROOT, root.path / SRC.lstrip("/"), ignore=shutil.ignore_patterns(
        ".git", ".venv*", "out", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache"))
    assert root.run("python3", "-m", "venv", VENV).returncode == 0
    installed = root.run(f"{VENV}/bin/pip", "install", "-q", "--no-input", "-c", f"{SRC}/deploy/constraints-edge-py310.txt",
                         "-e", f"{SRC}[edge]", "pytest>=8.4,<9", "pytest-timeout==2.4.0", "filelock>=3.12",
                         env={"FOOTFALL_TARGET": "edge"}, timeout=900)  # setup.py: the edge's requires-python
    assert installed.returncode == 0, installed.stderr[-2000:]
    return root


def test_the_root_runs_jetpack_6s_python_with_the_3_10_runtime(jammy):
    version = jammy.run(f"{VENV}/bin/python", "-c", "import sys; print(sys.version_info[:2])").stdout.strip()
    assert version == "(3, 10)"
    litert = jammy.run(f"{VENV}/bin/python", "-c", "from importlib.metadata import version; print(version('ai-edge-litert'))")
    assert litert.stdout.strip() == "1.4.0", litert.stderr


def test_edge_and_protocol_tests_pass_on_python_3_10(jammy):
    deselect = " ".join(f"--deselect={t}" for t in CONTROLLER_TESTS)
    ran = jammy.run("sh", "-c", f"cd {SRC} && {VENV}/bin/python -m pytest -q -p no:cacheprovider "
                    f"-m 'not integration and not scene' {deselect} tests/edge tests/protocol", timeout=900)
    summary = ran.stdout.strip().splitlines()[-1]
    print(summary)
    assert ran.returncode == 0 and " passed" in summary and "failed" not in summary, ran.stdout[-3000:]


def test_a_replay_on_python_3_10_counts_and_codes_like_3_11(jammy, tmp_path, fixture_faces):
    scene = tmp_path / "scene"
    spec = SceneSpec(seed=11, visitors=3, duration_s=20, fps=10, return_fraction=0, store_visit_prob=0,
                     display_pass_prob=0, walk_s=(3.0, 4.0), min_gap_s=2.0, devices=["entrance"])
    truth = render_scene(spec, fixture_faces, scene)
    inside = jammy.path / SCENE.lstrip("/")
    shutil.copytree(scene, inside)
    (inside / "entrance.yaml").write_text((scene / "entrance.yaml").read_text().replace(str(scene), SCENE))

    host = subprocess.run([sys.executable, "-m", "footfall.edge", "replay", "--config", str(scene / "entrance.yaml"),
                           "--source", str(scene / "entrance.mp4"), "--events-out", str(tmp_path / "py311.jsonl"),
                           "--no-progress"], capture_output=True, text=True, timeout=600)
    assert host.returncode == 0, host.stderr
    old = jammy.run(f"{VENV}/bin/footfall-edge", "replay", "--config", f"{SCENE}/entrance.yaml", "--source",
                    f"{SCENE}/entrance.mp4", "--events-out", f"{SCENE}/py310.jsonl", "--no-progress", timeout=600)
    assert old.returncode == 0, old.stderr[-2000:]

    new_crossings, new_visits = replay_messages(tmp_path / "py311.jsonl")
    old_crossings, old_visits = replay_messages(inside / "py310.jsonl")
    truth_in = sum(c["direction"] == "in" for c in truth["devices"]["entrance"]["crossings"])
    assert old_crossings == new_crossings and old_crossings[("door", "in")] == truth_in
    assert len(old_visits) == len(new_visits)
    # Same faces, same key: each 3.11 code has a 3.10 twin (measured 0-6 bits apart: the two runtimes' x86 kernels
    # agree far better than NEON and AVX2 do)
    old_codes = [v["code"] for v in old_visits if v["code"]]
    nearest = [min(hamming(v["code"], c) for c in old_codes) for v in new_visits if v["code"]]
    print(json.dumps({"in": old_crossings[("door", "in")], "visits": len(old_visits), "code_bits_apart": nearest}))
    assert nearest and len(old_codes) == len(nearest) and max(nearest) <= CODE_MARGIN


@pytest.fixture(scope="module")
def jammy_unit(debian_base, make_root, tmp_path_factory, wheel):
    """site.yml applied to a jammy root (a USB camera: the CSI stack needs L4T's own archive)."""
    directory = tmp_path_factory.mktemp("jammy-site")
    root = make_root(debian_base(HOST_ARCH, "ubuntu"), directory / "unit")
    lab = Lab(directory / "usb", {"lab-jetson": (root.path, {"footfall_role": "entrance", "footfall_camera": "usb"})})
    return root, lab.play("site.yml", "-e", f"edge_app_wheel={wheel}")


def current_release(root) -> Path:
    return root.path / "opt/footfall/releases" / (root.path / "opt/footfall/current").readlink().name


def test_site_playbook_provisions_a_jetpack_6_userland(jammy_unit):
    """A 3.10 release with the 3.10 pins, through the same release flow as the Pi (test_provision.py covers its
    update and rollback)."""
    root, applied = jammy_unit
    assert applied.rc == 0 and not applied.failures, applied.failures
    release = current_release(root)
    assert (release / "constraints.txt").read_text() == (ROOT / "deploy/constraints-edge-py310.txt").read_text()
    assert list(release.glob("lib/python3.10/site-packages/ai_edge_litert-1.4.0.dist-info"))
    ok = root.run("/opt/footfall/current/bin/footfall-edge", "validate-config", "/etc/footfall/edge.yaml")
    assert ok.returncode == 0, ok.stderr


def test_a_jetson_camera_on_a_system_without_jetpack_is_refused(jammy_unit, tmp_path, wheel):
    root, applied = jammy_unit
    assert applied.rc == 0
    before = current_release(root)
    lab = Lab(tmp_path / "jetson", {"lab-jetson": (root.path, {"footfall_role": "entrance", "footfall_camera": "jetson"})})
    refused = lab.play("site.yml", "-e", f"edge_app_wheel={wheel}")
    assert refused.rc != 0
    assert any("lab-jetson is not a JetPack system (/etc/nv_tegra_release is missing)" in f for f in refused.failures), \
        refused.failures
    assert current_release(root) == before and not (root.path / "etc/systemd/system/footfall-jetson-clocks.service").exists()
