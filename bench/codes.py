"""Visitor codes, visit by visit: how much each coded visit's embedding looks like the walker it followed.

`evaluate` sees unique and returning visitors, where a code made from someone else's face and a code that links to
nobody look the same. This replays a device's video through the edge pipeline, finds which walker each track
followed (its positions against the scene's plan, frame by frame) and compares the track's embedding with the
embedding of that walker's own photo for the trip (cosine; the same face on a clean photo scores ~0.9). Embeddings
stay in memory, as on the unit.
"""
from __future__ import annotations

import json
import statistics
from collections import Counter, defaultdict
from pathlib import Path

import click
import cv2
import numpy as np

from footfall.edge.app import file_start_ts
from footfall.edge.capture.sources import OpenCvSource
from footfall.edge.config import load as load_edge_config
from footfall.edge.pipeline import EdgePipeline
from footfall.edge.recognition.photos import PhotoEmbedder

from .render import plan_scene
from .render.spec import SceneSpec

NEAR = 0.05  # a track point within this of a walker's face (image heights) is that walker's
POOR = 0.6  # a code this far from the walker's own photo links to none of their other visits


def _photo(path: str, scene: Path) -> Path:
    p = Path(path)
    return p if p.is_absolute() else (Path.cwd() / p if (Path.cwd() / p).exists() else scene / p)


def coded_visits(scene: Path, device: str) -> list[dict]:
    truth = json.loads((scene / "truth.json").read_text())
    start = truth["start"]
    photos = {(v["id"], k): _photo(t["photo"], scene) for v in truth["visitors"] for k, t in enumerate(v["trips"])}
    planner, _ = plan_scene(SceneSpec.model_validate(truth["spec"]), next(iter(photos.values())).parent.parent)
    walks = [w for w in planner.walks if w.device == device]
    cfg = load_edge_config(scene / f"{device}.yaml")
    pipeline = EdgePipeline(cfg, cfg.read_site_secret())
    where: dict[int, list] = defaultdict(list)
    vectors = {}
    update, finish = pipeline.tracker.update, pipeline.embedder.finish

    def tracked(dets):
        tracks = update(dets)
        h = dets.frame.size[1]
        for t in tracks.live:  # in image heights both ways, so distances are alike across and along
            where[t.id].append((dets.frame.ts - start, t.centre[0] / h, t.centre[1] / h))
        return tracks

    def finished(track_id):
        vectors[track_id] = finish(track_id)
        return vectors[track_id]

    pipeline.tracker.update, pipeline.embedder.finish = tracked, finished
    video = scene / f"{device}.mp4"
    src = OpenCvSource(str(video), fps=cfg.camera.fps, start_ts=file_start_ts(video))
    visits, last = [], None
    for frame in src.frames():
        visits += [m for m in pipeline.process(frame) if m.kind == "visits"]
        last = frame
    src.close()
    if last is not None:
        visits += [m for m in pipeline.close(last) if m.kind == "visits"]
    aspect = truth["spec"]["width"] / truth["spec"]["height"]  # a walk's x is a share of the width

    def walker(track_id):
        """(visitor, trip) the track was nearest on most frames, and on how many."""
        votes = Counter()
        for t, x, y in where[track_id]:
            near = [(np.hypot(p[0] * aspect - x, p[1] - y), w) for w in walks if (p := w.at(t)) is not None]
            if near:
                d, w = min(near, key=lambda n: n[0])
                if d < NEAR:
                    votes[(w.visitor, w.trip)] += 1
        return votes.most_common(1)[0] if votes else (None, 0)

    photo_embedder = PhotoEmbedder(min_quality=0.0)  # enrollment's own path: largest face, aligned, embedded
    own = {}
    rows = []
    for m in visits:
        vec = vectors.get(m.track)
        who, n = walker(m.track)
        row = {"track": m.track, "direction": m.direction, "coded": m.code is not None, "walker": who and list(who),
               "share_of_frames": round(n / max(len(where[m.track]), 1), 2)}
        if m.code is not None and who is not None and vec is not None and vec.vector is not None:
            if who not in own:
                own[who] = photo_embedder(cv2.imread(str(photos[who]))).vector
            row["cosine_to_own_photo"] = round(float(vec.vector @ own[who]), 3)
        rows.append(row)
    return rows


def summary(rows: list[dict]) -> dict:
    cos = [r["cosine_to_own_photo"] for r in rows if "cosine_to_own_photo" in r]
    return {"visits": len(rows), "coded": sum(r["coded"] for r in rows), "compared": len(cos),
            "mean_cosine": round(statistics.mean(cos), 3) if cos else None,
            f"below_{POOR}": sum(c < POOR for c in cos)}


@click.command()
@click.option("--scene", "scenes", type=click.Path(exists=True, file_okay=False, path_type=Path), multiple=True,
              required=True, help="a rendered scene directory (repeat for several)")
@click.option("--device", default="entrance", show_default=True)
@click.option("--json", "as_json", is_flag=True)
def main(scenes: tuple[Path, ...], device: str, as_json: bool) -> None:
    """How like its walker's own photo each coded visit's embedding is."""
    results = []
    for scene in scenes:
        rows = coded_visits(scene, device)
        results.append({"scene": str(scene), "device": device, **summary(rows), "visits_detail": rows})
    if as_json:
        click.echo(json.dumps(results if len(results) > 1 else results[0], indent=1))
        return
    for r in results:
        click.echo(f"{r['scene']} {device}: {r['coded']} of {r['visits']} visits coded, mean cosine to the walker's "
                   f"own photo {r['mean_cosine']}, {r[f'below_{POOR}']} below {POOR}")
