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

from dataclasses import dataclass

import numpy as np
from norfair import Detection

from footfall.edge.capture.frame import Frame
from footfall.edge.detect.detections import People

from .norfair_tracks import NorfairTracks, State, Tracks
from .reid import NO_MATCH, THRESHOLD, ReId


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


class BodyTracker(NorfairTracks):
    def __init__(self, fps: float, every: int = 1, max_lost_s: float = 1.0, max_distance: float = MAX_DISTANCE,
                 reid_s: float = 3.0):
        """every: the most frames between detector runs while people are tracked. A track is confirmed on its
        second detection."""
        self.every = max(1, every)
        self.reid = ReId(fps)  # no appearance: motion and size gates only
        self._size = (1, 1)  # of the frame being tracked
        self._last_run = 0
        super().__init__(
            distance_function=self._distance,
            distance_threshold=max_distance,
            hit_counter_max=max(2 * self.every, round(max_lost_s * fps)),
            initialization_delay=self.every,
            reid_distance_function=self._reid_distance,
            reid_distance_threshold=THRESHOLD,
            reid_hit_counter_max=max(1, round(reid_s * fps)),
        )

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
        initialising = self._initialising()
        if people is not None:
            self._last_run = self._frame_no
            dets = [Detection(points=people.boxes[i].reshape(2, 2), scores=np.full(2, people.scores[i]),
                              data=_DetRef(i, self._frame_no)) for i in range(len(people))]
            # a detection stands for `every` frames (norfair's period: hit counters grow by 2 x period), so a new
            # track lives until the next scheduled run and is confirmed by the one after its first (the schedule
            # never leaves a live track longer than `every` frames; a run brought forward by motion counts the same)
            self._tracker.update(detections=dets, period=self.every)
        else:
            self._tracker.update(detections=None)
        joins = self._updated(initialising) if people is not None else self._updated([])

        def report(obj, det, new, origin, joined) -> TrackedBody:
            if det.data.frame == self._frame_no:
                i = det.data.index
                return TrackedBody(obj.id, "new" if new else "active", people.boxes[i], float(people.scores[i]), origin,
                                   joined)
            # carried by the prediction until the detector looks again; lost if it looked and missed
            state = "lost" if det.data.frame < self._last_run else ("new" if new else "active")
            return TrackedBody(obj.id, state, obj.estimate.reshape(4).astype(np.float32), 0.0, origin, joined, True)

        return self._tracks(frame, joins, report)
