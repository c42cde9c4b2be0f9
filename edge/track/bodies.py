"""Person (whole-body) tracks for person mode: norfair, like the face tracker, fed by a detector that does not run
on every frame.

The person detector runs on the frames the schedule picks (detect/motion.py); on the frames between, norfair's
Kalman prediction carries each track (norfair's `period` tells it how many frames a detection stands for). A track
matched on the detector's last run is reported `active` on the frames after it with its predicted box; one the last
run missed is `lost`. A walker hidden for a moment (behind another, merged into one box) is joined to the track it
continues by the same motion and size gates as faces (track/reid.py without appearance).

The reported tracks have the face tracks' interface (id, state, box, centre, detected, origin, joined, keypoints
None), so the events stage counts lines and zones from either.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
from norfair import Detection, Tracker

from footfall.edge.capture.frame import Frame
from footfall.edge.detect.detections import People

from .reid import NO_MATCH, THRESHOLD, ReId
from .tracker import FinishedTrack, State, Tracks


@dataclass(frozen=True, eq=False)
class TrackedBody:
    id: int
    state: State
    box: np.ndarray  # x1, y1, x2, y2: the detection on frames the detector ran and matched it, else the prediction
    score: float
    origin: tuple[float, float] | None = None  # where it was first detected, on its `new` frame only
    joined: str | None = None  # "motion" on the frame a hidden walker's track continues
    predicted: bool = False  # a frame between detector runs: the box is the tracker's prediction
    keypoints: None = None  # bodies have no face keypoints (the events stage asks)

    @property
    def centre(self) -> tuple[float, float]:
        return float(self.box[0] + self.box[2]) / 2, float(self.box[1] + self.box[3]) / 2

    @property
    def detected(self) -> bool:
        return self.state != "lost"


MAX_DISTANCE = 0.6  # body_distance at or above this never matches


def body_distance(det, obj) -> float:
    """Frame-to-frame distance of a detection and a track's predicted box: centre distance in body heights plus
    the log of the height ratio. Between detector runs a walker moves a good part of their width, so IoU (the face
    tracker's distance) drops to nothing for the slow start of a prediction while this stays small."""
    (ax1, ay1), (ax2, ay2) = det.points
    (bx1, by1), (bx2, by2) = obj.estimate
    ha, hb = max(ay2 - ay1, 1.0), max(by2 - by1, 1.0)
    d = np.hypot((ax1 + ax2 - bx1 - bx2) / 2, (ay1 + ay2 - by1 - by2) / 2) / max(ha, hb)
    return float(d + abs(np.log(ha / hb)))


def left_the_view(obj, size: tuple[int, int]) -> bool:
    """A track whose predicted centre is outside the image has walked out of it: it is not hidden, and someone
    coming in through the same edge a moment later is someone else."""
    (x1, y1), (x2, y2) = obj.estimate
    w, h = size
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    return not (0 <= cx <= w and 0 <= cy <= h)


@dataclass(frozen=True, eq=False)
class _DetRef:
    index: int
    frame: int
    keypoints: None = None


@dataclass
class _History:
    points: list = field(default_factory=list)


class BodyTracker:
    def __init__(self, fps: float, every: int = 1, max_lost_s: float = 1.0, max_distance: float = MAX_DISTANCE,
                 reid_s: float = 3.0):
        """every: the most frames between detector runs while people are tracked. A track is confirmed on its
        second detection."""
        self.every = max(1, every)
        self.reid = ReId(fps)  # no appearance: motion and size gates only
        self._size = (1, 1)  # of the frame being tracked
        self._params = dict(
            distance_function=self._distance,
            distance_threshold=max_distance,
            hit_counter_max=max(2 * self.every, round(max_lost_s * fps)),
            initialization_delay=self.every,
            reid_distance_function=self._reid_distance,
            reid_distance_threshold=THRESHOLD,
            reid_hit_counter_max=max(1, round(reid_s * fps)),
        )
        self._tracker = self._new_tracker()
        self._history: dict[int, _History] = {}
        self._seen: set[int] = set()
        self._frame_no = 0
        self._last_run = 0
        self.tracks_started = 0
        self.tracks_joined = {"appearance": 0, "motion": 0}

    def _distance(self, det, obj) -> float:
        return NO_MATCH if left_the_view(obj, self._size) else body_distance(det, obj)

    def _reid_distance(self, new, old) -> float:
        return NO_MATCH if left_the_view(old, self._size) else self.reid.distance(new, old)

    @property
    def anyone(self) -> bool:
        """Any track alive, confirmed or not: the detector must keep coming back to it."""
        return any(o.hit_counter >= 0 for o in self._tracker.tracked_objects)

    def update(self, frame: Frame, people: People | None) -> Tracks:
        """people: the detector's output on this frame, or None when it did not run (the tracker predicts)."""
        self._frame_no += 1
        self._size = frame.size
        self.reid.start_frame(frame.image, self._frame_no)
        ran = people is not None
        initialising = [o for o in self._tracker.tracked_objects if o.is_initializing]
        if ran:
            self._last_run = self._frame_no
            dets = [Detection(points=people.boxes[i].reshape(2, 2), scores=np.full(2, people.scores[i]),
                              data=_DetRef(i, self._frame_no)) for i in range(len(people))]
            # a detection stands for `every` frames (norfair's period: hit counters grow by 2 x period), so a new
            # track lives until the next scheduled run and is confirmed by the one after its first (the schedule
            # never leaves a live track longer than `every` frames; a run brought forward by motion counts the same)
            self._tracker.update(detections=dets, period=self.every)
        else:
            self._tracker.update(detections=None)
        for obj in self._tracker.tracked_objects:
            if obj.hit_counter > 0:  # norfair 2.3's ReID countdown is never cleared on a re-found track (tracker.py)
                obj.reid_hit_counter = None
        joins = self._joins(initialising) if ran else {}
        live: list[TrackedBody] = []
        known: set[int] = set()
        for obj in self._tracker.tracked_objects:
            if obj.id is None:
                continue
            known.add(obj.id)
            if obj.hit_counter < 0:  # hidden: a ReID candidate only
                continue
            det = obj.last_detection
            predicted = False
            if det.data.frame == self._frame_no:
                box, score = people.boxes[det.data.index], float(people.scores[det.data.index])
                state: State = "active" if obj.id in self._seen else "new"
                x1, y1, x2, y2 = box
                self._history.setdefault(obj.id, _History()).points.append(
                    (frame.ts, (x1 + x2) / 2, (y1 + y2) / 2, y2 - y1))
            else:
                box, score = obj.estimate.reshape(4).astype(np.float32), 0.0
                predicted = True
                # carried by the prediction until the detector looks again; lost if it looked and missed
                state = "lost" if det.data.frame < self._last_run else ("active" if obj.id in self._seen else "new")
            origin = None
            if obj.id not in self._seen:
                self.tracks_started += 1
                if obj.past_detections:
                    origin = tuple(float(v) for v in obj.past_detections[0].points.mean(axis=0))
            joined = joins.get(id(det))
            if joined:
                self.tracks_joined[joined] += 1
            self._seen.add(obj.id)
            live.append(TrackedBody(obj.id, state, box, score, origin, joined, predicted))
        finished = [self._finish(tid) for tid in sorted(self._seen - known) if tid in self._history]
        self._seen &= known
        return Tracks(frame, live, finished)

    def _joins(self, initialising: list) -> dict[int, str]:
        present = {id(o) for o in self._tracker.tracked_objects}
        return {id(o.last_detection): self.reid.kind(o) for o in initialising
                if id(o) not in present and self.reid.kind(o)}

    def _finish(self, track_id: int) -> FinishedTrack:
        path = np.array(self._history.pop(track_id).points, np.float64)
        return FinishedTrack(track_id, float(path[0, 0]), float(path[-1, 0]), path)

    def flush(self, frame: Frame) -> Tracks:
        finished = [self._finish(tid) for tid in sorted(self._seen) if tid in self._history]
        self._seen.clear()
        self._tracker = self._new_tracker()
        return Tracks(frame, [], finished)

    def _new_tracker(self) -> Tracker:
        logging.disable(logging.WARNING)
        try:
            return Tracker(**self._params)
        finally:
            logging.disable(logging.NOTSET)
