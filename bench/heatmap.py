"""`footfall-bench heatmap`: the floor heatmap against a rendered scene's truth (docs/heatmaps.md).

A store camera's scene where every store visit follows one known path (SceneSpec.aisle: down one aisle, stand,
back out) is rendered, replayed through the real edge pipeline with a `heatmap` section, and the per-cell
person-seconds and tracks of its counts messages are compared with the truth from the plan: each frame a walker's
face is visible to the camera (facing it, not covered, in the image), 1/fps person-seconds in the cell of their true
foot point (the renderer draws the feet RENDER_FEET sprite face heights below the face centre). A face-mode unit
cannot see a walker's back, so the time walking out is also reported apart (`truth_all_s`): person mode sees it.

The rendered people are stockier than adults: their feet are 7 sprite face heights below the face centre, and
BlazeFace's box on these 50 px faces is 1.23 sprite face heights tall with its centre 9 px above the sprite's, so
the feet are 5.8 box heights below the box centre (measured on this scene's frames); the unit runs with
`feet_below_face: 5.8` here instead of the adult 7.4. The check so measures the mapping, tracking and accumulation;
the face-to-feet constant is a calibration of its own (docs/heatmaps.md).
"""
from __future__ import annotations

import json
import time
from collections import defaultdict
from pathlib import Path

import click

SCENE = {"devices": ["store-a"], "aisle": 0.35, "aisle_stop_y": 0.42, "store_visit_prob": 1.0, "display_pass_prob": 0.0,
         "return_fraction": 0.0, "face_px": (40, 80), "blur": 0.3, "dwell_s": (4.0, 8.0), "walk_s": (4.0, 5.0)}
# the store camera's floor: an 8 x 4 m area whose far edge is the image row 0.5, 1 m cells
HEATMAP = {"grid": [8, 4], "floor_size": [8.0, 4.0], "image_points": [[0.1, 0.5], [0.9, 0.5], [1.0, 1.0], [0.0, 1.0]],
           "floor_points": [[0, 0], [8, 0], [8, 4], [0, 4]], "feet_below_face": 5.8}
RENDER_FEET = 7.0  # draw.draw_person: the trousers end 7 face heights below the face centre
# The stated tolerance: cells where people stood (the truth gives them at least MIN_CELL_S) within 25% each; all the
# time on the path within 10% of the range from the face-visible time to all of it; at most 10% of the time in cells
# nobody used. Cells only walked through are reported, not judged: in face mode a far walker's feet land up to one
# cell nearer the camera (BlazeFace's box is relatively taller on small faces, so the estimate below it reaches
# further down the image).
TOLERANCE = 0.25
MIN_CELL_S = 10.0
TOTAL_TOLERANCE = 0.1
SPILL = 0.1


def truth_cells(planner, spec, floor_map) -> tuple[dict, dict, dict]:
    """(visible person-seconds, all person-seconds, visitors) per cell, from the plan."""
    from .render.draw import placed_at
    from .render.occlusion import visibility

    W, H = spec.width, spec.height
    walks = [w for w in planner.walks if w.device == "store-a"]
    seen, every, who = defaultdict(float), defaultdict(float), defaultdict(set)
    dt = 1 / spec.fps
    for i in range(int(round(spec.duration_s * spec.fps))):
        placed = placed_at(walks, i / spec.fps)
        vis = visibility([(x, y, h, f, w.sprite.aspect) for (x, y, h, f), w in placed], W, H)
        for ((x, y, fh, facing), w), (cover, inside) in zip(placed, vis):
            cell = floor_map.cell(floor_map.to_floor([(x, y + RENDER_FEET * fh / H)])[0])
            if cell is None:
                continue
            every[cell] += dt
            if facing == "front" and cover < 0.5 and inside > 0.5:
                seen[cell] += dt
                who[cell].add(w.visitor)
    return seen, every, {c: len(v) for c, v in who.items()}


def run(faces: Path, out: Path, duration_s: float, visitors: int, seed: int) -> dict:
    from footfall.edge.app import replay
    from footfall.edge.config import EdgeConfig
    from footfall.edge.heatmap.settings import Heatmap
    from footfall.protocol.configfile import load_config

    from .render import render_scene, scene_truth
    from .render.spec import SceneSpec

    spec = SceneSpec.model_validate({**SCENE, "duration_s": duration_s, "visitors": visitors, "seed": seed})
    started = time.process_time()
    render_scene(spec, faces, out)
    planner, _ = scene_truth(spec, faces)
    cfg = load_config(out / "store-a.yaml", EdgeConfig).model_dump()
    cfg.update(privacy={"level": "counts"}, site_secret=None, heatmap=HEATMAP)
    cfg = EdgeConfig.model_validate(cfg)
    events = out / "store-a.events.jsonl"
    replay(cfg, str(out / "store-a.mp4"), events, None, progress=False)
    got_s, got_n = defaultdict(float), defaultdict(int)
    for line in events.read_text().splitlines():
        m = json.loads(line)
        for cell, s, n in (m.get("floor") or {}).get("cells", []):
            got_s[cell] += s
            got_n[cell] += n
    seen, every, who = truth_cells(planner, spec, Heatmap.model_validate(HEATMAP).floor_map())
    cells = sorted(set(got_s) | set(seen) | set(every))
    rows = [{"cell": c, "truth_s": round(seen.get(c, 0.0), 2), "truth_all_s": round(every.get(c, 0.0), 2),
             "edge_s": round(got_s.get(c, 0.0), 2), "truth_people": who.get(c, 0), "edge_tracks": got_n.get(c, 0)}
            for c in cells]
    judged = [r for r in rows if r["truth_s"] >= MIN_CELL_S]
    worst = max((abs(r["edge_s"] - r["truth_s"]) / r["truth_s"] for r in judged), default=None)
    transit = max((abs(r["edge_s"] - r["truth_s"]) for r in rows if r["truth_s"] < MIN_CELL_S), default=0.0)
    total = sum(got_s.values())
    spill = sum(got_s[c] for c in got_s if seen.get(c, 0.0) == 0.0)
    # a face camera sees at least the face-visible time and at most all of it (a back of a head is sometimes tracked
    # too): the path's total is judged by how far it falls outside that range
    lo, hi = sum(seen.values()), sum(every.values())
    total_error = max(lo - total, total - hi, 0.0) / max(lo, 1e-9)
    return {
        "scene": {**json.loads(spec.model_dump_json(include=set(SCENE) | {"duration_s", "visitors", "seed", "fps"})),
                  "heatmap": HEATMAP},
        "cells": rows,
        "truth_s": round(sum(seen.values()), 2), "truth_all_s": round(sum(every.values()), 2),
        "edge_s": round(total, 2),
        "worst_cell_error": round(worst, 3) if worst is not None else None,
        "worst_transit_cell_abs_s": round(transit, 2),
        "total_error": round(total_error, 3),
        "spill_share": round(spill / total, 3) if total else 0.0,
        "tolerance": {"cell_error": TOLERANCE, "min_cell_s": MIN_CELL_S, "total_error": TOTAL_TOLERANCE,
                      "spill_share": SPILL},
        "within_tolerance": (worst is not None and worst <= TOLERANCE and (spill / total if total else 0) <= SPILL
                             and total_error <= TOTAL_TOLERANCE),
        "cpu_s": round(time.process_time() - started, 1),
        "note": "small sample: one store camera, a few visitors on one aisle; truth = face-visible frames",
    }


@click.command("heatmap")
@click.option("--faces", required=True, type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path), help="scene folder (made)")
@click.option("--duration", "duration_s", default=60.0, show_default=True, type=float)
@click.option("--visitors", default=4, show_default=True, type=int)
@click.option("--seed", default=3, show_default=True, type=int)
@click.option("--json-out", type=click.Path(dir_okay=False, path_type=Path), help="also write the result here")
def main(faces: Path, out: Path, duration_s: float, visitors: int, seed: int, json_out: Path | None) -> None:
    """Floor heatmap vs a rendered scene's truth: walkers on one aisle, per-cell person-seconds (JSON)."""
    result = run(faces, out, duration_s, visitors, seed)
    text = json.dumps(result, indent=1)
    if json_out:
        json_out.write_text(text + "\n")
    click.echo(text)
