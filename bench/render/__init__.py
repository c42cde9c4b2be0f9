"""Scene renderer: real identity photos walking through a mall seen by several devices, with ground truth.

render_scene() writes, under OUT: one video per device (<device>.mp4, plus <device>.mp4.json with the wall-clock
start of frame 0), one edge config per device (<device>.yaml), the site secret the configs point at, and
truth.json. The format is documented in docs/scenes.md.
"""
from __future__ import annotations

import json
import secrets
from pathlib import Path

import cv2
import numpy as np
import yaml

from .draw import background, compose, noise_bank, placed_at
from .faces import FaceLibrary
from .layout import layout_for, edge_config
from .occlusion import visibility
from .plan import CrowdPlanner, Planner, Walk
from .spec import SceneSpec

TRUTH_VERSION = 1


def device_truth(device: str, walks: list[Walk], start: float, spec: SceneSpec) -> dict:
    """Ground truth of one device, from the plan. `walks` in planner order (the drawing order follows from it)."""
    lay = layout_for(device)
    mine = [w for w in walks if w.device == device]
    W, H = spec.width, spec.height

    def seen(t: float) -> list[tuple[Walk, str, float, float, bool]]:
        """(walk, facing, share of the face covered by nearer people, share in the image, head in view) at t."""
        placed = placed_at(mine, t)
        vis = visibility([(x, y, h, f, w.sprite.aspect) for (x, y, h, f), w in placed], W, H)
        return [(w, f, cover, inside, 0 <= x <= 1 and 0 <= y <= 1) for ((x, y, _, f), w), (cover, inside) in zip(placed, vis)]

    occluded: dict[int, int] = {id(w): 0 for w in mine}
    in_view = [0] * (len(mine) + 1)
    for i in range(int(round(spec.duration_s * spec.fps))):
        now = seen(i / spec.fps)
        in_view[sum(v for *_, v in now)] += 1
        for w, f, cover, inside, _ in now:
            if f == "front" and inside > 0.5 and cover >= 0.5:
                occluded[id(w)] += 1
    while len(in_view) > 1 and not in_view[-1]:
        in_view.pop()

    def hidden(w: Walk, t: float) -> bool:
        return any(o is w and (f != "front" or cover >= 0.5 or inside <= 0.5) for o, f, cover, inside, _ in seen(t))

    crossings, zone_visits, looks, passes, sightings = [], [], [], [], []
    for w in sorted(mine, key=lambda w: w.t0):
        sightings.append({"visitor": w.visitor, "trip": w.trip, "start": start + w.t0, "end": start + w.t1,
                          "face_visible_s": round(sum(b[0] - a[0] for a, b, f in zip(w.keys, w.keys[1:], w.facing) if f == "front"), 3),
                          "occluded_s": round(occluded[id(w)] / spec.fps, 3), "tags": list(dict.fromkeys(w.tags))})
        mine_x = []
        if lay.line:
            # net crossings per leg: a store walk crosses in, then out; a turn-back on the line does not cross
            name, y = lay.line
            for t, direction in w.crossings(y):
                mine_x.append({"visitor": w.visitor, "trip": w.trip, "line": name, "direction": direction,
                               "t": start + t, "hidden": hidden(w, t)})
        crossings += mine_x
        if lay.role == "store" and len(mine_x) == 2:
            zone_visits.append({"visitor": w.visitor, "trip": w.trip, "zone": lay.zone[0],
                                "enter": mine_x[0]["t"], "exit": mine_x[1]["t"]})
        if lay.role == "display":
            passes.append({"visitor": w.visitor, "trip": w.trip, "zone": lay.zone[0], "enter": start + w.t0, "exit": start + w.t1})
            if w.look:
                looks.append({"visitor": w.visitor, "trip": w.trip, "display": lay.display,
                              "start": start + w.look[0], "end": start + w.look[1]})
    frames = sum(in_view)
    return {"role": lay.role, "crossings": crossings, "zone_visits": zone_visits, "passes": passes, "looks": looks,
            "sightings": sightings,
            "in_view": {"mean": round(sum(n * k for n, k in enumerate(in_view)) / frames, 3), "max": len(in_view) - 1,
                        "frames": in_view}}


def plan_scene(spec: SceneSpec, faces: FaceLibrary | str | Path) -> tuple[Planner, list[dict]]:
    """The plan (every walk, on every device) and the visitors, times from the scene start. No files."""
    faces = faces if isinstance(faces, FaceLibrary) else FaceLibrary(faces)
    planner = (CrowdPlanner if spec.crowded else Planner)(spec, faces)
    return planner, planner.plan()


def scene_truth(spec: SceneSpec, faces: FaceLibrary | str | Path) -> tuple[Planner, dict]:
    """The plan and truth.json's content without rendering anything (no video, config or frames entries)."""
    planner, visitors = plan_scene(spec, faces)
    start = spec.start.timestamp()
    for v in visitors:
        for trip in v["trips"]:
            trip["arrive"] += start
            trip["leave"] += start
    devices = {device: device_truth(device, planner.walks, start, spec) for device in spec.devices}
    return planner, {"version": TRUTH_VERSION, "spec": json.loads(spec.model_dump_json()), "start": start,
                     "visitors": visitors, "devices": devices}


def render_scene(spec: SceneSpec, faces_dir: str | Path | FaceLibrary, out: str | Path, progress=None) -> dict:
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    planner, truth = scene_truth(spec, faces_dir)
    start = truth["start"]
    rng = np.random.default_rng(spec.seed + 1)
    secret = out / "site.secret"
    if not secret.exists():
        secret.write_text(secrets.token_hex(32))
        secret.chmod(0o600)
    n_frames = int(round(spec.duration_s * spec.fps))
    for device in spec.devices:
        lay = layout_for(device)
        video = out / f"{device}.mp4"
        writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), spec.fps, (spec.width, spec.height))
        bg = background(lay, spec.width, spec.height, rng)
        bank = noise_bank(bg.shape, spec.noise, rng)
        walks = [w for w in planner.walks if w.device == device]
        for i in range(n_frames):
            writer.write(compose(bg, walks, i / spec.fps, bank[i % len(bank)] if bank else None))
            if progress:
                progress(1)
        writer.release()
        (out / f"{device}.mp4.json").write_text(json.dumps({"start": start, "fps": spec.fps, "frames": n_frames}))
        cfg = edge_config(device, spec, str(video), str(secret), str(out / "state" / device))
        (out / f"{device}.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
        truth["devices"][device] = {"video": video.name, "config": f"{device}.yaml", "frames": n_frames,
                                    **truth["devices"][device]}
    (out / "truth.json").write_text(json.dumps(truth, indent=1))
    return truth
