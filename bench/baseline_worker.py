"""Worker for bench/baseline.py, run by the bench-only venv (.venv-mediapipe): the assembled baseline over one video.

MediaPipe face detection (BlazeFace full range) -> sv.Detections -> sv.ByteTrack -> sv.LineZone / sv.PolygonZone,
all anchored on the face box centre (our tracks' anchor). Imports only mediapipe, supervision, cv2, numpy and the
standard library: never the footfall package.

    python bench/baseline_worker.py JOB.json            # detect + track + count over job["video"]
    python bench/baseline_worker.py --tracks JOB.json   # count given tracks (job["frames"]): no detector, no tracker

The job (JSON): {"width", "height", "fps", "lines": [{id, a, b}], "zones": [{id, polygon}]} in normalised image
coordinates, plus {"video", "model", "min_confidence", "max_frames"} for a video, or {"frames": [[[tracker_id, x1,
y1, x2, y2], ...], ...]} (pixels) for --tracks, which also takes a list of such jobs ({"results": [...]}).
One JSON object on the last stdout line.

Direction: our `in` is a crossing towards the right-hand side of a->b in image coordinates (y down; edge/events/
geometry.py). sv.LineZone counts `in` when an anchor moves to where cross(end - start, p - start) < 0, i.e. to the
left-hand side of start->end in image coordinates (its docstring: start (0,100), end (200,100), a box moving from
y=130 up to y=70 counts in). So each line is given to sv as start=b, end=a.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
import time
import warnings

import numpy as np
import supervision as sv

# supervision 0.28-0.30 warn that sv.ByteTrack moves to the `trackers` package; 0.30.9 is the last that has it
warnings.filterwarnings("ignore", message=".*ByteTrack.*")

ANCHOR = sv.Position.CENTER


def line_zone(line: dict, width: int, height: int) -> sv.LineZone:
    """Our line a->b as sv's LineZone whose in/out equal ours (start=b, end=a; see the module docstring)."""
    a = sv.Point(line["a"][0] * width, line["a"][1] * height)
    b = sv.Point(line["b"][0] * width, line["b"][1] * height)
    return sv.LineZone(start=b, end=a, triggering_anchors=(ANCHOR,))


class Counter:
    """Lines and zones over tracked detections; a tracker id counts once per zone, dwell = frames inside / fps."""

    def __init__(self, job: dict):
        w, h, self.fps = int(job["width"]), int(job["height"]), float(job["fps"])
        self.lines = {ln["id"]: line_zone(ln, w, h) for ln in job.get("lines", [])}
        self.zones = {z["id"]: sv.PolygonZone(polygon=np.round(np.asarray(z["polygon"], float) * [w, h]).astype(int),
                                              triggering_anchors=(ANCHOR,))
                      for z in job.get("zones", [])}
        self.visitors: dict[str, set[int]] = {z: set() for z in self.zones}
        self.frames_inside = {z: 0 for z in self.zones}
        self.track_ids: set[int] = set()

    def update(self, tracked: sv.Detections) -> None:
        if tracked.tracker_id is not None:
            self.track_ids.update(int(t) for t in tracked.tracker_id if t >= 0)
        for lz in self.lines.values():
            lz.trigger(tracked)
        for zid, pz in self.zones.items():
            inside = pz.trigger(tracked)
            if len(tracked) and tracked.tracker_id is not None:
                ids = [int(t) for t in tracked.tracker_id[inside] if t >= 0]
                self.visitors[zid].update(ids)
                self.frames_inside[zid] += len(ids)

    def result(self) -> dict:
        return {"lines": {k: {"in": lz.in_count, "out": lz.out_count} for k, lz in self.lines.items()},
                "zones": {k: {"visitors": len(self.visitors[k]), "dwell_s": round(self.frames_inside[k] / self.fps, 2)}
                          for k in self.zones},
                "tracks": len(self.track_ids)}


def tracker(fps: float) -> sv.ByteTrack:
    """sv.ByteTrack with the video's frame rate and supervision's defaults otherwise (activation 0.25, lost buffer
    30 frames at 30 fps, i.e. 1 s, matching 0.8, 1 consecutive frame)."""
    return sv.ByteTrack(frame_rate=fps)


def detector(model: str, min_confidence: float):
    """MediaPipe's full-range BlazeFace. The Tasks FaceDetector of 0.10.21 builds its SSD decoding for the
    short-range model only (896 anchors: the full-range file fails its RET_CHECK on 2304 boxes), so this is the
    Solutions graph with model_selection=1, which runs the wheel's copy of the full-range file: checked to be the
    same bytes as the project's models/ file."""
    import mediapipe as mp

    bundled = os.path.join(os.path.dirname(mp.__file__), "modules", "face_detection", os.path.basename(model))
    digest = [hashlib.sha256(open(p, "rb").read()).hexdigest() for p in (model, bundled)]
    if digest[0] != digest[1]:
        raise SystemExit(f"{bundled} is not the same model as {model}")
    return mp.solutions.face_detection.FaceDetection(model_selection=1, min_detection_confidence=min_confidence)


def to_detections(result, width: int, height: int) -> sv.Detections:
    dets = result.detections or []
    if not dets:
        return sv.Detections.empty()
    xyxy, conf = [], []
    for d in dets:
        b = d.location_data.relative_bounding_box
        x1, y1 = b.xmin * width, b.ymin * height
        xyxy.append([x1, y1, x1 + b.width * width, y1 + b.height * height])
        conf.append(d.score[0])
    return sv.Detections(xyxy=np.asarray(xyxy, np.float32), confidence=np.asarray(conf, np.float32),
                         class_id=np.zeros(len(dets), int))


def run_video(job: dict) -> dict:
    import cv2

    cv2.setNumThreads(1)
    cap = cv2.VideoCapture(job["video"])
    if not cap.isOpened():
        raise SystemExit(f"cannot open {job['video']}")
    job = {**job, "width": int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), "height": int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))}
    if not job.get("fps"):
        job["fps"] = cap.get(cv2.CAP_PROP_FPS) or 15.0
    w, h = job["width"], job["height"]
    det = detector(job["model"], float(job["min_confidence"]))
    bt = tracker(float(job["fps"]))
    counter = Counter(job)
    max_frames = job.get("max_frames") or 1 << 40
    frames = faces = 0
    detect_s = 0.0
    started = time.perf_counter()
    while frames < max_frames:
        ok, image = cap.read()
        if not ok:
            break
        t = time.perf_counter()
        result = det.process(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
        detect_s += time.perf_counter() - t
        detections = to_detections(result, w, h)
        faces += len(detections)
        counter.update(bt.update_with_detections(detections))
        frames += 1
    total = time.perf_counter() - started
    return {"fps": round(frames / max(total, 1e-9), 1), "frames": frames, **counter.result(),
            "faces_detected": faces, "detect_ms": round(detect_s / max(frames, 1) * 1000, 3)}


def run_tracks(job: dict) -> dict:
    counter = Counter(job)
    for rows in job["frames"]:
        rows = np.asarray(rows, float).reshape(-1, 5)
        counter.update(sv.Detections(xyxy=rows[:, 1:5].astype(np.float32), tracker_id=rows[:, 0].astype(int),
                                     class_id=np.zeros(len(rows), int), confidence=np.ones(len(rows), np.float32)))
    return {"frames": len(job["frames"]), **counter.result()}


def versions() -> dict:
    import importlib.metadata as md

    return {"mediapipe": md.version("mediapipe"), "supervision": sv.__version__}


def main(argv: list[str]) -> None:
    tracks = argv[:1] == ["--tracks"]
    path = argv[1] if tracks else argv[0]
    with open(path) as f:
        job = json.load(f)
    if tracks:
        out = {"results": [run_tracks(j) for j in job]} if isinstance(job, list) else run_tracks(job)
    else:
        out = run_video(job)
    sys.stdout.write("\n" + json.dumps({"tool": versions(), **out}) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
