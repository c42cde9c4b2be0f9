"""The running service's view of its camera, left in the state dir with every health report (figures only).

`footfall-edge check` reads it when the service is running: a USB or CSI camera opens for one process at a time,
so on a live unit the check cannot read frames itself and asks the service instead.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

FILE = "camera-status.json"


def write(state_dir: Path, fps: float, camera: str, dropped_frames: int) -> None:
    path = Path(state_dir) / FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"at": time.time(), "fps": fps, "camera": camera, "dropped_frames": dropped_frames}))
    tmp.replace(path)


def fresh(state_dir: Path, within_s: float) -> dict | None:
    """The last status if a service wrote it within `within_s` seconds, else None (no service running)."""
    path = Path(state_dir) / FILE
    try:
        status = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return status if time.time() - float(status.get("at", 0)) <= within_s else None


def service_active(unit: str = "footfall-edge") -> bool:
    """systemd runs the service now (False where there is no systemd: a lab, a container, a test)."""
    if not shutil.which("systemctl"):
        return False
    try:
        return subprocess.run(["systemctl", "is-active", "--quiet", unit], timeout=5).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def await_fresh(state_dir: Path, within_s: float, wait_s: float, poll_s: float = 0.5) -> dict | None:
    """A service just (re)started writes its first status after one health interval: wait that long for it."""
    deadline = time.monotonic() + wait_s
    while (status := fresh(state_dir, within_s)) is None and time.monotonic() < deadline:
        time.sleep(poll_s)
    return status
