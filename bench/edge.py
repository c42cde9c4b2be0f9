"""Edge speed benchmark: our whole pipeline vs MediaPipe's own face detection, same video, same run, one core.

    python bench/edge.py --video scene/entrance.mp4 --json

Our run: capture (decode), detect, track, embed (alignment, quality, SFace), events; fps over the whole run,
per-stage ms per frame, faces embedded, ms per embedded face, peak memory. MediaPipe: detection alone, in the
bench-only venv .venv-mediapipe (created on first use: pip install mediapipe==0.10.21, x86_64 only).
Both are pinned to CPU 0 with taskset, and LiteRT / OpenCV get one thread.
"""
from __future__ import annotations

import json
import os
import resource
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parent.parent
MP_VENV = ROOT / ".venv-mediapipe"


def pinned(argv: list[str]) -> list[str]:
    return (["taskset", "-c", "0"] if shutil.which("taskset") else []) + argv


def run_ours(video: str, config: str | None, max_frames: int, embed_threads: int = 1) -> dict:
    import cv2

    cv2.setNumThreads(1)
    from footfall.edge.capture.sources import OpenCvSource
    from footfall.edge.config import EdgeConfig
    from footfall.edge.pipeline import EdgePipeline
    from footfall.protocol.configfile import load_config

    if config:
        cfg = load_config(config, EdgeConfig)
        secret = cfg.read_site_secret()
    else:
        cfg = EdgeConfig(site="bench", device="bench", role="entrance", timezone="UTC", camera={"source": video},
                         site_secret={"file": "/dev/null"}, lines=[{"id": "door", "a": [0.02, 0.5], "b": [0.98, 0.5]}])
        secret = secrets.token_bytes(32)
    cfg = EdgeConfig.model_validate({**cfg.model_dump(), "detector": {**cfg.detector.model_dump(), "threads": 1},
                                     "embedder": {**cfg.embedder.model_dump(), "threads": embed_threads}})
    pipeline = EdgePipeline(cfg, secret)
    sface_s = 0.0
    embed = pipeline.embedder.embed

    def timed_embed(crop):
        nonlocal sface_s
        t = time.perf_counter()
        v = embed(crop)
        sface_s += time.perf_counter() - t
        return v

    pipeline.embedder.embed = timed_embed
    faces_detected = 0
    detect = pipeline.detector

    def counting_detect(frame, regions=(), reuse=False):
        nonlocal faces_detected
        d = detect(frame, regions, reuse)
        faces_detected += len(d)
        return d

    pipeline.detector = counting_detect
    src = OpenCvSource(video, start_ts=0.0)
    frames = messages = 0
    capture_s = 0.0
    started = time.perf_counter()
    it = src.frames()
    last = None
    while frames < max_frames:
        t = time.perf_counter()
        frame = next(it, None)
        capture_s += time.perf_counter() - t
        if frame is None:
            break
        messages += len(pipeline.process(frame))
        last = frame
        frames += 1
    messages += len(pipeline.close(last))
    total = time.perf_counter() - started
    stage = pipeline.times.mean_ms()
    embedded = pipeline.embedder.embedded
    return {
        "frames": frames, "fps": round(frames / total, 1), "faces_detected": faces_detected,
        "stage_ms": {"capture": round(capture_s / frames * 1000, 3), **stage},
        "faces_embedded": embedded, "faces_embedded_per_s": round(embedded / total, 2),
        "sface_ms_per_face": round(sface_s / max(embedded, 1) * 1000, 2),
        "embed_stage_ms_per_face": round(stage.get("embed", 0) * frames / max(embedded, 1), 2),
        "messages": messages, "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def sface_median_ms(threads: int, repeats: int = 200) -> float:
    """Median SFace time for one aligned face (compute does not depend on the pixels: a fixture face)."""
    import statistics

    import cv2

    from footfall.edge.capture.frame import Frame
    from footfall.edge.detect.blazeface import BlazeFace
    from footfall.edge.embed.align import align
    from footfall.edge.embed.sface import SFace

    image = cv2.imread(str(ROOT / "tests" / "fixtures" / "faces" / "person_b" / "person_b_1.jpg"))
    crop = align(image, BlazeFace()(Frame(image, 0, 0, "")).keypoints[0])
    sface = SFace(threads)
    times = []
    for i in range(repeats + 10):
        t = time.perf_counter()
        sface(crop)
        if i >= 10:  # warm-up
            times.append((time.perf_counter() - t) * 1000)
    return round(statistics.median(times), 2)


def ensure_mediapipe_venv() -> Path | None:
    python = MP_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(MP_VENV)], check=True)
        r = subprocess.run([str(python), "-m", "pip", "install", "-q", "mediapipe==0.10.21"], capture_output=True, text=True)
        if r.returncode != 0:
            print(f"mediapipe 0.10.21 not installable here: {r.stderr.strip()[-300:]}", file=sys.stderr)
            return None
    return python


def run_mediapipe(video: str, max_frames: int) -> dict | None:
    python = ensure_mediapipe_venv()
    if python is None:
        return None
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    r = subprocess.run(pinned([str(python), str(ROOT / "bench" / "mediapipe_detect.py"), video, str(max_frames), "1"]),
                       capture_output=True, text=True, env=env)
    if r.returncode != 0:
        print(r.stderr[-1000:], file=sys.stderr)
        return None
    return json.loads(r.stdout.strip().splitlines()[-1])


@click.command()
@click.option("--video", required=True, type=click.Path(dir_okay=False, exists=True))
@click.option("--config", type=click.Path(dir_okay=False, exists=True), help="edge config (default: VIDEO's .yaml beside it)")
@click.option("--frames", "max_frames", default=100_000)
@click.option("--json", "as_json", is_flag=True, help="print JSON (the only output format)")
@click.option("--worker", type=int, hidden=True, help="embedder threads of an in-process run")
@click.option("--sface-worker", type=int, hidden=True, help="threads for the SFace timing")
def main(video: str, config: str | None, max_frames: int, as_json: bool, worker: int | None, sface_worker: int | None) -> None:
    if config is None and Path(video).with_suffix(".yaml").exists():
        config = str(Path(video).with_suffix(".yaml"))
    if worker:
        json.dump(run_ours(video, config, max_frames, worker), sys.stdout)
        return
    if sface_worker:
        json.dump(sface_median_ms(sface_worker), sys.stdout)
        return

    def ours(embed_threads: int, pin: bool) -> dict:
        argv = [sys.executable, __file__, "--worker", str(embed_threads), "--video", video, "--frames", str(max_frames)]
        if config:
            argv += ["--config", config]
        r = subprocess.run(pinned(argv) if pin else argv, capture_output=True, text=True,
                           env={**os.environ, "OMP_NUM_THREADS": "1"})
        if r.returncode != 0:
            raise click.ClickException(r.stderr[-2000:])
        return json.loads(r.stdout.strip().splitlines()[-1])

    result = {"video": video, "cpu": "one core (taskset -c 0)", "ours": ours(1, pin=True)}
    two = ours(2, pin=False)  # the embedder as deployed: its own two threads (edge.yaml embedder.threads)
    result["ours_embedder_2_threads"] = {k: two[k] for k in ("fps", "sface_ms_per_face", "embed_stage_ms_per_face")}

    def sface(threads: int) -> float:
        argv = [sys.executable, __file__, "--sface-worker", str(threads), "--video", video]
        r = subprocess.run(pinned(argv) if threads == 1 else argv, capture_output=True, text=True, check=True)
        return json.loads(r.stdout.strip().splitlines()[-1])

    result["sface_median_ms_per_face"] = {"1_thread": sface(1), "2_threads": sface(2)}
    mp = run_mediapipe(video, max_frames)
    result["mediapipe"] = mp
    if mp:
        result["ours_fps_vs_mediapipe_detect_fps"] = round(result["ours"]["fps"] / mp["detect_fps"], 3)
    json.dump(result, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
