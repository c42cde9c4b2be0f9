"""What the face and the body tracker share over norfair: track ids as we report them (`new` once, then `active` or
`lost`), the path of each track's detections, finished tracks, counts of tracks started and joined, and the
workaround for norfair 2.3's ReID countdown."""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from norfair import Tracker

from footfall.edge.capture.frame import Frame

State = Literal["new", "active", "lost"]


@dataclass(frozen=True, eq=False)
class FinishedTrack:
    id: int
    first_ts: float
    last_ts: float
    path: np.ndarray  # (K, 4): ts, centre x, centre y, box height in px, for every detected frame
    double_of: int | None = None  # ended as a second track on this track's face: what it counted is not a walker's


@dataclass(frozen=True, eq=False)
class Tracks:
    """Tracker output for one frame: the live tracks (TrackedFace or TrackedBody: id, state, box, centre, detected,
    origin, joined, keypoints) and those that finished on it."""

    frame: Frame
    live: list
    finished: list[FinishedTrack]


@dataclass
class _History:
    points: list = field(default_factory=list)


class NorfairTracks:
    def __init__(self, **norfair_params):
        self._params = norfair_params
        self._tracker = self._new_tracker()
        self._history: dict[int, _History] = {}
        self._seen: set[int] = set()
        self._doubles: dict[int, int] = {}  # track removed as a second track on another's face -> that track
        self._frame_no = 0
        self.tracks_started = 0
        self.tracks_joined = {"appearance": 0, "motion": 0}

    def _initialising(self) -> list:
        return [o for o in self._tracker.tracked_objects if o.is_initializing]

    def _updated(self, initialising: list) -> dict[int, str]:
        """After norfair's update: the detections (by id) through which a hidden track continued, with how the join
        was decided (norfair removes an initialising track it merged into an older one, which takes over its
        detection)."""
        for obj in self._tracker.tracked_objects:
            # norfair 2.3 starts an object's ReID countdown when its hit counter touches 0 and never clears it when
            # the object is detected again, so a track that once missed a frame was dropped 3 s later while in view
            if obj.hit_counter > 0:
                obj.reid_hit_counter = None
        present = {id(o) for o in self._tracker.tracked_objects}
        return {id(o.last_detection): self.reid.kind(o) for o in initialising
                if id(o) not in present and self.reid.kind(o)}

    def _reportable(self, obj) -> bool:
        """Whether a confirmed object is a track yet (the face tracker waits for one strong face)."""
        return True

    def _tracks(self, frame: Frame, joins: dict[int, str], report: Callable) -> Tracks:
        """The frame's live tracks, each made by report(obj, det, new, origin, joined) (None for a detection of
        this frame's), and the tracks that finished."""
        live, known = [], set()
        for obj in self._tracker.tracked_objects:
            if obj.id is None:  # still initialising: not a track yet
                continue
            known.add(obj.id)
            if obj.hit_counter < 0 or not self._reportable(obj):  # hidden (a ReID candidate), or weak faces only
                continue
            det = obj.last_detection
            new = obj.id not in self._seen
            origin = None
            if new:
                self.tracks_started += 1
                if obj.past_detections:
                    origin = tuple(float(v) for v in obj.past_detections[0].points.mean(axis=0))
                    obj.footfall_origin = origin  # kept by the object through ReID joins (reid.py)
            joined = joins.get(id(det))
            if joined:
                self.tracks_joined[joined] += 1
            track = report(obj, det, new, origin, joined)
            if det.data.frame == self._frame_no:
                x1, y1, x2, y2 = track.box
                self._history.setdefault(obj.id, _History()).points.append((frame.ts, (x1 + x2) / 2, (y1 + y2) / 2, y2 - y1))
            self._seen.add(obj.id)
            live.append(track)
        finished = [self._finish(tid) for tid in sorted(self._seen - known) if tid in self._history]
        self._seen &= known
        return Tracks(frame, live, finished)

    def _finish(self, track_id: int) -> FinishedTrack:
        path = np.array(self._history.pop(track_id).points, np.float64)
        return FinishedTrack(track_id, float(path[0, 0]), float(path[-1, 0]), path, self._doubles.pop(track_id, None))

    def flush(self, frame: Frame) -> Tracks:
        """End of input: finish every live track."""
        finished = [self._finish(tid) for tid in sorted(self._seen) if tid in self._history]
        self._seen.clear()
        self._tracker = self._new_tracker()
        return Tracks(frame, [], finished)

    def _new_tracker(self) -> Tracker:
        logging.disable(logging.WARNING)  # norfair warns that a Python distance is slower: a handful of objects is fine
        try:
            return Tracker(**self._params)
        finally:
            logging.disable(logging.NOTSET)
