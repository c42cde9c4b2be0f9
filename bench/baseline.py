"""The assembled baseline: what a competent integrator builds from open parts, run on a rendered scene's videos.

    python -m footfall.bench.baseline --scene DIR [--json] [--devices entrance,store-a]

MediaPipe 0.10.21's BlazeFace full range (the same file as models/face_detection_full_range_sparse.tflite, with our
default detector's min confidence or the device config's) -> sv.Detections -> sv.ByteTrack (the video's frame rate,
supervision's defaults otherwise) -> one sv.LineZone per configured line and one sv.PolygonZone per zone, anchored
on the face box centre like our tracks. No re-identification: a tracker id is a visitor.

It runs in the bench-only venv .venv-mediapipe (git-ignored; created or extended on first use) because mediapipe
0.10.21 is x86_64 only and pins its own numpy; bench/baseline_worker.py is the script that venv executes, one
process per device, pinned to one core (taskset -c 0) like bench/edge.py. Where mediapipe cannot be installed (e.g.
aarch64), run_baseline returns None and says why on stderr.

Result: {"tool": {"mediapipe", "supervision"}, "settings": {...what was chosen...}, "devices": {device: {"fps",
"frames", "lines": {id: {"in", "out"}}, "zones": {id: {"visitors", "dwell_s"}}, "tracks", "faces_detected",
"detect_ms"}}}; "fps" is frames over the whole loop (decode, detect, track, count), "visitors" the distinct tracker
ids whose centre was ever inside, "dwell_s" their frames inside / fps summed.
"""
from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import click
import yaml

ROOT = Path(__file__).resolve().parent.parent
MP_VENV = ROOT / ".venv-mediapipe"
WORKER = Path(__file__).resolve().parent / "baseline_worker.py"
MODEL = ROOT / "models" / "face_detection_full_range_sparse.tflite"
# mediapipe 0.10.21: the last wheel with the BlazeFace files (x86_64 only; it pins numpy < 2).
# supervision 0.30.9: the last release with sv.ByteTrack (deprecated since 0.28 for the `trackers` package, gone in
# 0.31); it installs beside mediapipe's numpy 1.26.
PINS = {"mediapipe": "0.10.21", "supervision": "0.30.9"}
SETTINGS = {
    "detector": "MediaPipe Solutions face_detection, model_selection=1 (full range; the Tasks FaceDetector of 0.10.21 "
                "decodes the short-range model only)",
    "tracker": "sv.ByteTrack(frame_rate=video fps); defaults: track_activation_threshold=0.25, lost_track_buffer=30 "
               "(frames at 30 fps, scaled to the video's rate: 1 s), minimum_matching_threshold=0.8, "
               "minimum_consecutive_frames=1",
    "lines": "sv.LineZone(start=b, end=a, triggering_anchors=[CENTER]), minimum_crossing_threshold=1 (default)",
    "zones": "sv.PolygonZone(triggering_anchors=[CENTER]); a tracker id counts once per zone; dwell = frames inside / fps",
}


def pinned(argv: list[str]) -> list[str]:
    return (["taskset", "-c", "0"] if shutil.which("taskset") else []) + argv


def _installed(python: Path) -> dict | None:
    if not python.exists():
        return None
    r = subprocess.run([str(python), "-c", "import importlib.metadata as m, json; "
                        f"print(json.dumps({{p: m.version(p) for p in {list(PINS)!r}}}))"],
                       capture_output=True, text=True)
    return json.loads(r.stdout) if r.returncode == 0 else None


def ensure_baseline_venv() -> Path | None:
    """The bench venv's python with PINS installed (creating or extending .venv-mediapipe under a lock, so parallel
    callers wait for one install); None, with the reason on stderr, where they cannot be installed."""
    python = MP_VENV / "bin" / "python"
    if _installed(python) == PINS:
        return python
    MP_VENV.mkdir(exist_ok=True)
    with open(MP_VENV / ".footfall-install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _installed(python) == PINS:
            return python
        if not python.exists():
            subprocess.run([sys.executable, "-m", "venv", str(MP_VENV)], check=True)
        print(f"installing {', '.join(f'{p}=={v}' for p, v in PINS.items())} into {MP_VENV}", file=sys.stderr)
        r = subprocess.run([str(python), "-m", "pip", "install", "-q", *(f"{p}=={v}" for p, v in PINS.items())],
                           capture_output=True, text=True)
        if r.returncode != 0 or _installed(python) != PINS:
            print(f"baseline: mediapipe {PINS['mediapipe']} + supervision {PINS['supervision']} not installable here: "
                  f"{r.stderr.strip()[-400:]}", file=sys.stderr)
            return None
    return python


def default_min_confidence() -> float:
    from footfall.edge.config import Detector

    return Detector.model_fields["min_confidence"].default


def scene_devices(scene: Path) -> list[str]:
    truth = scene / "truth.json"
    if truth.exists():
        return list(json.loads(truth.read_text())["devices"])
    return sorted(p.stem for p in scene.glob("*.mp4") if (scene / f"{p.stem}.yaml").exists())


def device_job(scene: Path, device: str, max_frames: int | None = None) -> dict:
    cfg = yaml.safe_load((scene / f"{device}.yaml").read_text())
    meta_path = scene / f"{device}.mp4.json"
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    return {"video": str(scene / f"{device}.mp4"), "fps": meta.get("fps"), "model": str(MODEL),
            "min_confidence": (cfg.get("detector") or {}).get("min_confidence", default_min_confidence()),
            "lines": [{"id": ln["id"], "a": ln["a"], "b": ln["b"]} for ln in cfg.get("lines") or []],
            "zones": [{"id": z["id"], "polygon": z["polygon"]} for z in cfg.get("zones") or []],
            "max_frames": max_frames}


def run_worker(python: Path, job: dict, tracks: bool = False, pin: bool = True) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".json", prefix="baseline-job-") as f:
        json.dump(job, f)
        f.flush()
        argv = [str(python), str(WORKER), *(["--tracks"] if tracks else []), f.name]
        env = {**os.environ, "OMP_NUM_THREADS": "1", "GLOG_minloglevel": "2", "TF_CPP_MIN_LOG_LEVEL": "2"}
        r = subprocess.run(pinned(argv) if pin else argv, capture_output=True, text=True, env=env)
    if r.returncode != 0:
        raise RuntimeError(f"baseline worker failed ({job.get('video', 'tracks')}): {r.stderr[-2000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def run_baseline(scene_dir: Path, devices: list[str] | None = None, max_frames: int | None = None,
                 pin: bool = True) -> dict | None:
    """The baseline over every device of a rendered scene (or `devices`); None where mediapipe cannot be installed."""
    scene_dir = Path(scene_dir).resolve()
    python = ensure_baseline_venv()
    if python is None:
        return None
    result: dict = {"tool": {}, "settings": SETTINGS, "devices": {}}
    for device in devices or scene_devices(scene_dir):
        job = device_job(scene_dir, device, max_frames)
        out = run_worker(python, job, pin=pin)
        result["tool"] = out.pop("tool")
        result["devices"][device] = {**out, "min_confidence": job["min_confidence"]}
    return result


@click.command()
@click.option("--scene", "scene_dir", required=True, type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--devices", help="comma-separated device ids (default: every device of the scene)")
@click.option("--frames", "max_frames", type=int, help="stop each video after this many frames")
@click.option("--json", "as_json", is_flag=True, help="print the result as JSON")
def main(scene_dir: Path, devices: str | None, max_frames: int | None, as_json: bool) -> None:
    result = run_baseline(scene_dir, devices.split(",") if devices else None, max_frames)
    if result is None:
        raise SystemExit(1)
    if as_json:
        json.dump(result, sys.stdout, indent=1)
        print()
        return
    truth_path = scene_dir / "truth.json"
    truth = json.loads(truth_path.read_text())["devices"] if truth_path.exists() else {}
    tool = result["tool"]
    click.echo(f"baseline: mediapipe {tool['mediapipe']}, supervision {tool['supervision']}   (truth in brackets)")
    for device, d in result["devices"].items():
        t = truth.get(device, {})
        click.echo(f"{device}: {d['frames']} frames at {d['fps']} fps, {d['tracks']} tracks")
        for line, row in d["lines"].items():
            want = {k: sum(c["line"] == line and c["direction"] == k for c in t.get("crossings", [])) for k in ("in", "out")}
            click.echo(f"  line {line}: in {row['in']} ({want['in']}), out {row['out']} ({want['out']})")
        for zone, row in d["zones"].items():
            visits = [v for v in t.get("zone_visits", []) + t.get("passes", []) if v["zone"] == zone]
            dwell = round(sum(v["exit"] - v["enter"] for v in visits), 1)
            click.echo(f"  zone {zone}: visitors {row['visitors']} ({len(visits)}), dwell {row['dwell_s']} s ({dwell} s)")


if __name__ == "__main__":
    main()
