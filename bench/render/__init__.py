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

from .draw import background, compose, noise_bank
from .faces import FaceLibrary
from .layout import layout_for, edge_config
from .plan import Planner, Walk
from .spec import SceneSpec

TRUTH_VERSION = 1


def device_truth(device: str, walks: list[Walk], start: float) -> dict:
    lay = layout_for(device)
    mine = sorted((w for w in walks if w.device == device), key=lambda w: w.t0)
    crossings, zone_visits, looks, passes, sightings = [], [], [], [], []
    for w in mine:
        sightings.append({"visitor": w.visitor, "trip": w.trip, "start": start + w.t0, "end": start + w.t1,
                          "face_visible_s": round(sum(b[0] - a[0] for a, b, f in zip(w.keys, w.keys[1:], w.facing) if f == "front"), 3)})
        if lay.line:
            # a store walk crosses the door line twice: in, then out
            name, y = lay.line
            for (ta, _, ya, _), (tb, _, yb, _) in zip(w.keys, w.keys[1:]):
                if (ya - y) * (yb - y) < 0:
                    t = ta + (y - ya) / (yb - ya) * (tb - ta)
                    crossings.append({"visitor": w.visitor, "trip": w.trip, "line": name,
                                      "direction": "in" if yb > ya else "out", "t": start + t})
        if lay.role == "store":
            ins = [c for c in crossings if c["visitor"] == w.visitor and c["trip"] == w.trip]
            if len(ins) == 2:
                zone_visits.append({"visitor": w.visitor, "trip": w.trip, "zone": lay.zone[0],
                                    "enter": ins[0]["t"], "exit": ins[1]["t"]})
        if lay.role == "display":
            passes.append({"visitor": w.visitor, "trip": w.trip, "zone": lay.zone[0], "enter": start + w.t0, "exit": start + w.t1})
            if w.look:
                looks.append({"visitor": w.visitor, "trip": w.trip, "display": lay.display,
                              "start": start + w.look[0], "end": start + w.look[1]})
    return {"role": lay.role, "crossings": crossings, "zone_visits": zone_visits, "passes": passes, "looks": looks,
            "sightings": sightings}


def render_scene(spec: SceneSpec, faces_dir: str | Path, out: str | Path, progress=None) -> dict:
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    faces = FaceLibrary(faces_dir)
    planner = Planner(spec, faces)
    visitors = planner.plan()
    start = spec.start.timestamp()
    for v in visitors:
        for trip in v["trips"]:
            trip["arrive"] += start
            trip["leave"] += start
    rng = np.random.default_rng(spec.seed + 1)
    secret = out / "site.secret"
    if not secret.exists():
        secret.write_text(secrets.token_hex(32))
        secret.chmod(0o600)
    n_frames = int(round(spec.duration_s * spec.fps))
    devices = {}
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
        devices[device] = {"video": video.name, "config": f"{device}.yaml", "frames": n_frames,
                           **device_truth(device, planner.walks, start)}
    truth = {"version": TRUTH_VERSION, "spec": json.loads(spec.model_dump_json()), "start": start,
             "visitors": visitors, "devices": devices}
    (out / "truth.json").write_text(json.dumps(truth, indent=1))
    return truth
