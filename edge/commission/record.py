"""What commissioning found, kept in the unit's state dir (commissioning.json) for the report: figures only, never
an image."""
from __future__ import annotations

import json
from pathlib import Path

FILE = "commissioning.json"


def load(state_dir: Path) -> dict:
    path = Path(state_dir) / FILE
    return json.loads(path.read_text()) if path.exists() else {}


def update(state_dir: Path, **fields) -> dict:
    record = load(state_dir) | fields
    path = Path(state_dir) / FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(record, indent=2, sort_keys=True))
    tmp.replace(path)
    return record


def session_figures(view) -> dict:
    """A LiveView's figures at the end of a session: what the report quotes as measured on the unit."""
    s = view.status()
    return {"frames": s["frames"], "fps": s["fps"], "stage_ms": s["stage_ms"], "face_sizes": s["face_sizes"],
            "lines": s["lines"], "zones": s["zones"], "counts": s["counts"]}
