"""Face tracks across frames: norfair (Kalman + IoU matching, and its ReID for faces hidden for a while) behind a
small interface of our own.

Lifecycle: a track is `new` on the frame it is confirmed, `active` while detected, `lost` while the tracker
still predicts it without a detection, hidden (not reported) once norfair gives up predicting it but could still
join a new track to it (reid.py), and `finished` once that window has passed too; a finished track is reported
once with its whole path.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from norfair import Detection, Tracker

from footfall.edge.capture.frame import Frame
from footfall.edge.detect.detections import Detections

from .reid import THRESHOLD, Appearance, ReId

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
    # on the frame a hidden walker's track continues: how the join was decided ("appearance" or "motion")
    joined: str | None = None

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


@dataclass(frozen=True, eq=False)
class _DetRef:
    """What a norfair Detection carries for us: its row in the frame's Detections, the frame, the keypoints."""

    index: int
    frame: int
    keypoints: np.ndarray


class FaceTracker:
    def __init__(self, fps: float, max_lost_s: float = 1.0, min_hits: int = 3, max_distance: float = 0.8,
                 reid_s: float = 3.0, appearance: Appearance | None = None):
        self.reid = ReId(fps, appearance)
        self._params = dict(
            distance_function=self.reid.iou_distance,  # 1 - IoU of the predicted and detected boxes
            distance_threshold=max_distance,
            hit_counter_max=max(2, round(max_lost_s * fps)),
            initialization_delay=min_hits - 1,
            reid_distance_function=self.reid.distance,
            reid_distance_threshold=THRESHOLD,
            reid_hit_counter_max=max(1, round(reid_s * fps)),
        )
        self._tracker = self._new_tracker()
        self._history: dict[int, _History] = {}
        self._seen: set[int] = set()
        self._frame_no = 0
        self.tracks_started = 0
        self.tracks_joined = {"appearance": 0, "motion": 0}

    def update(self, detections: Detections) -> Tracks:
        frame = detections.frame
        self._frame_no += 1
        self.reid.start_frame(frame.image, self._frame_no)
        dets = [
            Detection(points=detections.boxes[i].reshape(2, 2), scores=np.full(2, detections.scores[i]),
                      data=_DetRef(i, self._frame_no, detections.keypoints[i]))
            for i in range(len(detections))
        ]
        initialising = [o for o in self._tracker.tracked_objects if o.is_initializing]
        self._tracker.update(detections=dets)
        for obj in self._tracker.tracked_objects:
            # norfair 2.3 starts an object's ReID countdown when its hit counter touches 0 and never clears it when
            # the object is detected again, so a track that once missed a frame was dropped 3 s later while in view
            if obj.hit_counter > 0:
                obj.reid_hit_counter = None
        joins = self._joins(initialising)
        live: list[TrackedFace] = []
        known: set[int] = set()
        for obj in self._tracker.tracked_objects:
            if obj.id is None:  # still initialising: not a track yet
                continue
            known.add(obj.id)
            if obj.hit_counter < 0:  # hidden: kept only as a ReID candidate
                continue
            det = obj.last_detection
            if det.data.frame == self._frame_no:
                i = det.data.index
                box, kps, score = detections.boxes[i], detections.keypoints[i], float(detections.scores[i])
                state: State = "active" if obj.id in self._seen else "new"
                x1, y1, x2, y2 = box
                self._history.setdefault(obj.id, _History()).points.append((frame.ts, (x1 + x2) / 2, (y1 + y2) / 2, y2 - y1))
            else:
                box, kps, score, state = obj.estimate.reshape(4).astype(np.float32), None, 0.0, "lost"
            origin = None
            if obj.id not in self._seen:
                self.tracks_started += 1
                if obj.past_detections:
                    origin = tuple(float(v) for v in obj.past_detections[0].points.mean(axis=0))
            joined = joins.get(id(det))
            if joined:
                self.tracks_joined[joined] += 1
            self._seen.add(obj.id)
            live.append(TrackedFace(obj.id, state, box, kps, score, origin, joined))
        finished = [self._finish(tid) for tid in sorted(self._seen - known)]
        self._seen &= known
        return Tracks(frame, live, finished)

    def _joins(self, initialising: list) -> dict[int, str]:
        """Detections (by id) through which a hidden track continued this frame, with how the join was decided:
        norfair removes an initialising track it merged into an older one, which takes over its detection."""
        present = {id(o) for o in self._tracker.tracked_objects}
        return {id(o.last_detection): self.reid.kind(o) for o in initialising
                if id(o) not in present and self.reid.kind(o)}

    def _finish(self, track_id: int) -> FinishedTrack:
        path = np.array(self._history.pop(track_id).points, np.float64)
        return FinishedTrack(track_id, float(path[0, 0]), float(path[-1, 0]), path)

    def flush(self, frame: Frame) -> Tracks:
        """End of input: finish every live track."""
        finished = [self._finish(tid) for tid in sorted(self._seen) if tid in self._history]
        self._seen.clear()
        self._tracker = self._new_tracker()
        return Tracks(frame, [], finished)

    def _new_tracker(self) -> Tracker:
        logging.disable(logging.WARNING)  # norfair warns that a Python distance is slower: a handful of faces is fine
        try:
            return Tracker(**self._params)
        finally:
            logging.disable(logging.NOTSET)
