"""The Pi's architecture: the edge playbook applied to an arm64 bookworm root under qemu, then the installed
release (aarch64 wheels from PyPI, the real install path) replays a rendered clip and counts as x86 does; so does
the Jetson's runtime (ai-edge-litert 1.4.0, the one with a Python 3.10 wheel) on the same unit.

Emulation makes this slow (about 25 min: 7 min debootstrap, the playbook, 200 emulated frames), so it runs when
FOOTFALL_ARM64=1 or on an aarch64 host; `make test-arm64` sets it. Speed is never judged here, only results.
"""
import json
import os
import shutil
import subprocess
import sys

import pytest
from debroot import HOST_ARCH
from fleet_lab import Lab
from replay_events import replay_messages

from footfall.bench.render import render_scene
from footfall.bench.render.spec import SceneSpec
from footfall.edge.identify.codes import hamming

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(os.environ.get("FOOTFALL_ARM64") != "1" and HOST_ARCH != "arm64",
                                 reason="emulated arm64 takes ~25 min: set FOOTFALL_ARM64=1 (make test-arm64)")]
IN_ROOT = "/srv/scene"


@pytest.fixture(scope="module")
def arm64_unit(debian_base, make_root, tmp_path_factory, wheel, fixture_faces):
    """The provisioned arm64 unit, a rendered clip inside it and the x86 host's replay of that clip."""
    directory = tmp_path_factory.mktemp("arm64")
    root = make_root(debian_base("arm64"), directory / "unit")
    assert root.run("uname", "-m").stdout.strip() == "aarch64"
    lab = Lab(directory, {"lab-pi": (root.path, {"footfall_role": "entrance", "footfall_camera": "usb"})})
    applied = lab.play("site.yml", "-e", f"edge_app_wheel={wheel}")

    scene = directory / "scene"
    spec = SceneSpec(seed=11, visitors=3, duration_s=20, fps=10, return_fraction=0, store_visit_prob=0,
                     display_pass_prob=0, walk_s=(3.0, 4.0), min_gap_s=2.0, devices=["entrance"])
    truth = render_scene(spec, fixture_faces, scene)
    shutil.copytree(scene, root.path / IN_ROOT.lstrip("/"))
    config = root.path / IN_ROOT.lstrip("/") / "entrance.yaml"
    config.write_text(config.read_text().replace(str(scene), IN_ROOT))

    host = subprocess.run([sys.executable, "-m", "footfall.edge", "replay", "--config", str(scene / "entrance.yaml"), "--source",
                           str(scene / "entrance.mp4"), "--events-out", str(directory / "x86.jsonl"), "--no-progress"],
                          capture_output=True, text=True, timeout=600)
    assert host.returncode == 0, host.stderr
    truth_in = sum(c["direction"] == "in" for c in truth["devices"]["entrance"]["crossings"])
    return root, applied, replay_messages(directory / "x86.jsonl"), truth_in


def replay_in_root(root, bin_dir: str, name: str):
    emulated = root.run(f"{bin_dir}/footfall-edge", "replay", "--config", f"{IN_ROOT}/entrance.yaml",
                        "--source", f"{IN_ROOT}/entrance.mp4", "--events-out", f"{IN_ROOT}/{name}.jsonl", "--no-progress",
                        env={"FOOTFALL_MODELS_DIR": "/opt/footfall/current/models"}, timeout=3600)
    assert emulated.returncode == 0, emulated.stderr[-2000:]
    return replay_messages(root.path / IN_ROOT.lstrip("/") / f"{name}.jsonl")


def assert_counts_and_codes_match(arm, x86, truth_in: int) -> list[int]:
    (arm_crossings, arm_visits), (x86_crossings, x86_visits) = arm, x86
    assert arm_crossings == x86_crossings and arm_crossings[("door", "in")] == truth_in
    assert len(arm_visits) == len(x86_visits)
    # Same faces, same key: each x86 code has an arm64 twin. Measured 37-62 of 512 bits apart (the int8 kernels for
    # NEON and AVX2 round differently): well inside the cloud's match radius of 172, and far from impostors (~256).
    arm_codes = [v["code"] for v in arm_visits if v["code"]]
    nearest = [min(hamming(v["code"], c) for c in arm_codes) for v in x86_visits if v["code"]]
    print(json.dumps({"in": arm_crossings[("door", "in")], "visits": len(arm_visits), "code_bits_apart": nearest}))
    assert nearest and len(arm_codes) == len(nearest) and max(nearest) <= 96
    return nearest


def test_arm64_unit_installs_and_counts_like_x86(arm64_unit):
    root, applied, x86, truth_in = arm64_unit
    assert applied.rc == 0 and not applied.failures, applied.failures
    wheels = root.run("/opt/footfall/current/bin/pip", "download", "--no-deps", "--only-binary=:all:", "-d", "/tmp/w",
                      "ai-edge-litert==2.3.0")
    assert "aarch64" in wheels.stdout + wheels.stderr  # the Pi's wheels, not the host's
    assert_counts_and_codes_match(replay_in_root(root, "/opt/footfall/current/bin", "arm64"), x86, truth_in)


def test_arm64_with_the_jetson_runtime_counts_like_x86(arm64_unit):
    """JetPack 6's Python 3.10 has only ai-edge-litert 1.4.0 (deploy/constraints-edge-py310.txt): its aarch64 build
    runs the same clip here. The Python is bookworm's 3.11 (no arm64 jammy root can be made where the Ubuntu ports
    archive is unreachable); the runtime, whose kernels make the codes, is the Jetson's release."""
    root, applied, x86, truth_in = arm64_unit
    assert applied.rc == 0, applied.failures
    venv = "/opt/jetson-runtime"
    release = "/opt/footfall/releases/" + (root.path / "opt/footfall/current").readlink().name
    assert root.run("python3", "-m", "venv", venv).returncode == 0
    # the release's exact environment, with the runtime swapped (the wheel itself would ask 2.3.0 on 3.11)
    pins = root.path / "tmp/jetson-runtime.txt"
    pins.write_text((root.path / release.lstrip("/") / "constraints.txt").read_text()
                    .replace("ai-edge-litert==2.3.0", "ai-edge-litert==1.4.0"))
    wheel_file = next((root.path / release.lstrip("/")).glob("footfall-*.whl")).name
    for argv in ([f"{release}/{wheel_file}"], ["-r", "/tmp/jetson-runtime.txt"]):
        installed = root.run(f"{venv}/bin/pip", "install", "-q", "--no-input", "--no-deps", *argv,
                             timeout=3600)
        assert installed.returncode == 0, installed.stderr[-2000:]
    litert = root.run(f"{venv}/bin/python", "-c", "from importlib.metadata import version; print(version('ai-edge-litert'))")
    assert litert.stdout.strip() == "1.4.0"
    assert_counts_and_codes_match(replay_in_root(root, f"{venv}/bin", "jetson-runtime"), x86, truth_in)
