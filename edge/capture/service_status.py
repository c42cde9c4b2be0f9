"""The running service's view of its camera, left in the state dir with every health report (figures only).

`footfall-edge check` reads it when the service is running: a USB or CSI camera opens for one process at a time,
so on a live unit the check cannot read frames itself and asks the service instead.
"""
from __future__ import annotations

import json
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
