"""A replay's events file (footfall-edge replay --events-out) read back: line crossings and visits, for comparing two
runs of the same clip (another architecture, Python or runtime)."""
from __future__ import annotations

import json
from pathlib import Path


def replay_messages(events: Path) -> tuple[dict, list[dict]]:
    """{(line, "in" | "out"): count} summed over the counts messages, and the visit messages in order."""
    crossings: dict = {}
    visits = []
    for m in map(json.loads, events.read_text().splitlines()):
        for line in m.get("lines", []):
            for k in ("in", "out"):
                crossings[(line["line"], k)] = crossings.get((line["line"], k), 0) + line[k]
        if "track" in m:
            visits.append(m)
    return crossings, visits
