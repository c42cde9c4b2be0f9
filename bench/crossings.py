"""Crossing by crossing: which of a scene's line crossings a unit counted, missed, or counted that never happened.

`evaluate` compares totals, where a miss and a false count cancel. This replays each device's video through the edge
pipeline (as `footfall-edge replay` does), logs every crossing the events stage counts (with the time it was made,
or for one inferred after the walk, the time it was estimated at; withdrawn step-backs dropped) and pairs them with
truth.json's crossings of the same line and direction within [-1.5 s, +4 s]: as many pairs as possible, then the
nearest in time.
"""
from __future__ import annotations

import json
from pathlib import Path

import click
import numpy as np
from scipy.optimize import linear_sum_assignment

from footfall.edge.app import file_start_ts
from footfall.edge.capture.sources import OpenCvSource
from footfall.edge.config import load as load_edge_config
from footfall.edge.pipeline import EdgePipeline

EARLY_S, LATE_S = 1.5, 4.0
UNPAIRED = 1e6


def counted_crossings(scene: Path, device: str) -> list[dict]:
    """Every crossing the unit counted on the device's video, in order: line, direction, ts."""
    cfg = load_edge_config(scene / f"{device}.yaml")
    pipeline = EdgePipeline(cfg, cfg.read_site_secret())
    events = pipeline.events
    log: list[dict] = []
    cross, withdraw = events._cross, events._withdraw

    def logged(st, line, direction, ts, at, crossed_at=None, vanished=False):
        counted = events.crossings["counted"]
        cross(st, line, direction, ts, at, crossed_at, vanished)
        if events.crossings["counted"] > counted:
            log.append({"track": st, "line": line, "direction": direction, "ts": crossed_at or ts,
                        "inferred": crossed_at is not None})

    def withdrawn(st):  # a step back, a turn back on the line, a stop on it: the track's last crossing is taken back
        line = st.crossings[-1][0]
        log.remove([e for e in log if e["track"] is st and e["line"] == line][-1])
        withdraw(st)

    events._cross, events._withdraw = logged, withdrawn
    video = scene / f"{device}.mp4"
    src = OpenCvSource(str(video), fps=cfg.camera.fps, start_ts=file_start_ts(video))
    last = None
    for frame in src.frames():
        pipeline.process(frame)
        last = frame
    src.close()
    if last is not None:
        pipeline.close(last)
    return [{k: v for k, v in e.items() if k != "track"} for e in log]


def match(truth: list[dict], counted: list[dict], start: float) -> dict:
    """Pairs of a truth crossing and a counted one of the same line and direction, the count at most EARLY_S before
    and LATE_S after: as many pairs as can be made, then the smallest time errors (greedy pairing in time order
    could give a walker's count to the one before them, and show a miss and a false count where there were none).
    Times in the result are relative to the scene start."""
    used: set[int] = set()
    paired: set[int] = set()
    for key in {(c["line"], c["direction"]) for c in truth}:
        ts = [i for i, c in enumerate(truth) if (c["line"], c["direction"]) == key]
        cs = [j for j, e in enumerate(counted) if (e["line"], e["direction"]) == key]
        if not ts or not cs:
            continue
        dt = np.array([[counted[j]["ts"] - truth[i]["t"] for j in cs] for i in ts])
        allowed = (dt >= -EARLY_S) & (dt <= LATE_S)
        cost = np.where(allowed, np.abs(dt), UNPAIRED)  # a pair fewer costs more than any time error
        for r, c in zip(*linear_sum_assignment(cost)):
            if allowed[r, c]:
                paired.add(ts[r])
                used.add(cs[c])
    missed = [{"visitor": c["visitor"], "trip": c["trip"], "direction": c["direction"],
               "t": round(c["t"] - start, 2), "hidden": c["hidden"]}
              for i, c in sorted(enumerate(truth), key=lambda ic: ic[1]["t"]) if i not in paired]
    extra = [{"direction": e["direction"], "t": round(e["ts"] - start, 2), "inferred": e["inferred"]}
             for i, e in enumerate(counted) if i not in used]
    out = {}
    for d in ("in", "out"):
        out[d] = {"truth": sum(c["direction"] == d for c in truth),
                  "counted": sum(e["direction"] == d for e in counted),
                  "missed": sum(m["direction"] == d for m in missed), "extra": sum(e["direction"] == d for e in extra)}
    return {**out, "inferred": sum(e["inferred"] for e in counted), "missed_crossings": missed,
            "extra_crossings": extra}


def scene_crossings(scene: Path, devices: list[str] | None = None) -> dict:
    truth = json.loads((scene / "truth.json").read_text())
    result = {}
    for device, dev in truth["devices"].items():
        if dev["crossings"] and (not devices or device in devices):
            result[device] = match(dev["crossings"], counted_crossings(scene, device), truth["start"])
    total = {k: sum(r["in"][k] for r in result.values()) for k in ("truth", "counted", "missed", "extra")}
    return {"scene": str(scene), "devices": result, "in": {
        **total, "recall": round(1 - total["missed"] / total["truth"], 4) if total["truth"] else None,
        "precision": round(1 - total["extra"] / total["counted"], 4) if total["counted"] else None}}


@click.command()
@click.option("--scene", "scenes", type=click.Path(exists=True, file_okay=False, path_type=Path), multiple=True,
              required=True, help="a rendered scene directory (repeat for several)")
@click.option("--device", "devices", multiple=True, help="only these devices (default: every one with a line)")
@click.option("--json", "as_json", is_flag=True)
def main(scenes: tuple[Path, ...], devices: tuple[str, ...], as_json: bool) -> None:
    """Crossings counted, missed and counted in error, one by one, against a scene's truth."""
    results = [scene_crossings(s, list(devices)) for s in scenes]
    if as_json:
        click.echo(json.dumps(results if len(results) > 1 else results[0], indent=2))
        return
    for r in results:
        click.echo(f"{r['scene']}: in {r['in']['counted']} counted of {r['in']['truth']}, {r['in']['missed']} missed, "
                   f"{r['in']['extra']} in error (recall {r['in']['recall']}, precision {r['in']['precision']})")
        for device, d in r["devices"].items():
            click.echo(f"  {device}: in {d['in']['counted']}/{d['in']['truth']} out {d['out']['counted']}/"
                       f"{d['out']['truth']}, {d['inferred']} inferred")
            for m in d["missed_crossings"]:
                if m["direction"] == "in":
                    click.echo(f"    missed in: {m['visitor']} trip {m['trip']} at {m['t']} s"
                               f"{' (face hidden on the line)' if m['hidden'] else ''}")
            for e in d["extra_crossings"]:
                click.echo(f"    in error: {e['direction']} at {e['t']} s{' (inferred)' if e['inferred'] else ''}")
