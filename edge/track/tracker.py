"""Face tracks across frames: norfair (Kalman + IoU matching) behind a small interface of our own.

Lifecycle: a track is `new` on the frame it is confirmed, `active` while detected, `lost` while the tracker
still predicts it without a detection, and `finished` once norfair drops it; a finished track is reported once
with its whole path.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from norfair import Detection, Tracker

from footfall.edge.capture.frame import Frame
from footfall.edge.detect.detections import Detections

State = Literal["new", "active", "lost"]


@dataclass(frozen=True, eq=False)
class TrackedFace:
    id: int
    state: State
    box: np.ndarray  # x1, y1, x2, y2 (the detection when detected, else the prediction)
    keypoints: np.ndarray | None  # only when detected on this frame
    score: float
    # where the face was first detected, before the track was confirmed; set on the `new` frame only, so events
    # see a fast walker's start even when confirmation came after it crossed a line
    origin: tuple[float, float] | None = None

    @property
    def centre(self) -> tuple[float, float]:
        return float(self.box[0] + self.box[2]) / 2, float(self.box[1] + self.box[3]) / 2

    @property
    def detected(self) -> bool:
        return self.state != "lost"


@dataclass(frozen=True, eq=False)
class FinishedTrack:
    id: int
    first_ts: float
    last_ts: float
    path: np.ndarray  # (K, 4): ts, centre x, centre y, face height in px, for every detected frame


@dataclass(frozen=True, eq=False)
class Tracks:
    """Tracker output for one frame: the live tracks and those that finished on it."""

    frame: Frame
    live: list[TrackedFace]
    finished: list[FinishedTrack]


@dataclass
class _History:
    points: list = field(default_factory=list)


class FaceTracker:
    def __init__(self, fps: float, max_lost_s: float = 1.0, min_hits: int = 3, max_distance: float = 0.8):
        # distance is 1 - IoU of the predicted and detected boxes
        self._tracker = Tracker(
            distance_function="iou",
            distance_threshold=max_distance,
            hit_counter_max=max(2, round(max_lost_s * fps)),
            initialization_delay=min_hits - 1,
        )
        self._history: dict[int, _History] = {}
        self._seen: set[int] = set()

    def update(self, detections: Detections) -> Tracks:
        frame = detections.frame
        dets = [
            Detection(points=detections.boxes[i].reshape(2, 2), scores=np.full(2, detections.scores[i]), data=i)
            for i in range(len(detections))
        ]
        self._tracker.update(detections=dets)
        live: list[TrackedFace] = []
        alive: set[int] = set()
        for obj in self._tracker.tracked_objects:
            if obj.id is None:  # still initialising: not a track yet
                continue
            alive.add(obj.id)
            det = obj.last_detection
            matched = any(det is d for d in dets)
            if matched:
                i = det.data
                box, kps, score = detections.boxes[i], detections.keypoints[i], float(detections.scores[i])
                state: State = "active" if obj.id in self._seen else "new"
                x1, y1, x2, y2 = box
                self._history.setdefault(obj.id, _History()).points.append((frame.ts, (x1 + x2) / 2, (y1 + y2) / 2, y2 - y1))
            else:
                box, kps, score, state = obj.estimate.reshape(4).astype(np.float32), None, 0.0, "lost"
            origin = None
            if obj.id not in self._seen and obj.past_detections:
                origin = tuple(float(v) for v in obj.past_detections[0].points.mean(axis=0))
            self._seen.add(obj.id)
            live.append(TrackedFace(obj.id, state, box, kps, score, origin))
        finished = [self._finish(tid) for tid in sorted(self._seen - alive)]
        self._seen &= alive
        return Tracks(frame, live, finished)

    def _finish(self, track_id: int) -> FinishedTrack:
        path = np.array(self._history.pop(track_id).points, np.float64)
        return FinishedTrack(track_id, float(path[0, 0]), float(path[-1, 0]), path)

    def flush(self, frame: Frame) -> Tracks:
        """End of input: finish every live track."""
        finished = [self._finish(tid) for tid in sorted(self._seen) if tid in self._history]
        self._seen.clear()
        self._tracker = Tracker(
            distance_function="iou", distance_threshold=self._tracker.distance_threshold,
            hit_counter_max=self._tracker.hit_counter_max, initialization_delay=self._tracker.initialization_delay)
        return Tracks(frame, [], finished)
