"""Face tracks across frames: norfair (Kalman + IoU matching, and its ReID for faces hidden for a while) behind a
small interface of our own.

Lifecycle: a track is `new` on the frame it is confirmed, `active` while detected, `lost` while the tracker
still predicts it without a detection, hidden (not reported) once norfair gives up predicting it but could still
join a new track to it (reid.py), and `finished` once that window has passed too; a finished track is reported
once with its whole path.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from norfair import Detection

from footfall.edge.detect.detections import Detections

from .norfair_tracks import FinishedTrack, NorfairTracks, State, Tracks
from .reid import THRESHOLD, Appearance, ReId, box_iou

__all__ = ["FaceTracker", "FinishedTrack", "State", "TrackedFace", "Tracks"]


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


DOUBLE_IOU = 0.5  # a track without the face on this frame is predicted on the other's detection
DOUBLE_TURNS = 2  # frames each of two tracks has had the face since the second began, never together


@dataclass(frozen=True, eq=False)
class _DetRef:
    """What a norfair Detection carries for us: its row in the frame's Detections, the frame, the keypoints."""

    index: int
    frame: int
    keypoints: np.ndarray


class FaceTracker(NorfairTracks):
    def __init__(self, fps: float, max_lost_s: float = 1.0, min_hits: int = 3, max_distance: float = 0.8,
                 reid_s: float = 3.0, appearance: Appearance | None = None, start_score: float = 0.0):
        """start_score: a track is reported once one of its faces scored this; weaker faces only carry it on
        (detections come down to the detector's lower, follow threshold)."""
        self.reid = ReId(fps, appearance)
        self.start_score = start_score
        super().__init__(
            distance_function=self.reid.iou_distance,  # 1 - IoU of the predicted and detected boxes
            distance_threshold=max_distance,
            hit_counter_max=max(2, round(max_lost_s * fps)),
            initialization_delay=min_hits - 1,
            reid_distance_function=self.reid.distance,
            reid_distance_threshold=THRESHOLD,
            reid_hit_counter_max=max(1, round(reid_s * fps)),
        )

    def update(self, detections: Detections) -> Tracks:
        self._frame_no += 1
        self.reid.start_frame(detections.frame.image, self._frame_no)
        dets = [
            Detection(points=detections.boxes[i].reshape(2, 2), scores=np.full(2, detections.scores[i]),
                      data=_DetRef(i, self._frame_no, detections.keypoints[i]))
            for i in range(len(detections))
        ]
        initialising = self._initialising()
        self._tracker.update(detections=dets)
        joins = self._updated(initialising)
        self._drop_doubles()
        for obj in self._tracker.tracked_objects:
            det = obj.last_detection
            if det.data.frame == self._frame_no and det.scores[0] >= self.start_score:
                obj.footfall_started = True

        def report(obj, det, new, origin, joined) -> TrackedFace:
            if det.data.frame == self._frame_no:
                i = det.data.index
                return TrackedFace(obj.id, "new" if new else "active", detections.boxes[i], detections.keypoints[i],
                                   float(detections.scores[i]), origin, joined)
            return TrackedFace(obj.id, "lost", obj.estimate.reshape(4).astype(np.float32), None, 0.0, origin, joined)

        return self._tracks(detections.frame, joins, report)

    def _reportable(self, obj) -> bool:
        return getattr(obj, "footfall_started", False)

    def _drop_doubles(self) -> None:
        """Two tracks on one face: a track that missed a frame can be refused its own face (a head turning away
        looks like someone else, reid.py), which then starts a second track, and the two take the face in turns,
        never both on one frame. Both walked over the line: one walker of a group counted twice on a hard scene.
        Once each has had the face on DOUBLE_TURNS frames since the second began, never on the same frame, and the
        one without it now is predicted on the other's detection, the younger is removed as a double."""
        now = self._frame_no
        tracks = [o for o in self._tracker.tracked_objects
                  if o.id is not None and o.hit_counter >= 0 and o.id in self._history]
        coasting = [o for o in tracks if o.last_detection.data.frame != now]
        if not coasting or len(coasting) == len(tracks):
            return  # nothing to compare on most frames: every track detected, or none
        for lost in coasting:
            for seen in tracks:
                if seen.last_detection.data.frame != now or seen.id in self._doubles or lost.id in self._doubles:
                    continue
                if box_iou(seen.last_detection.points, lost.estimate) < DOUBLE_IOU:
                    continue
                old, young = sorted((seen, lost), key=lambda o: o.id)
                born = self._history[young.id].points[0][0]
                turns = [{p[0] for p in self._history[o.id].points if p[0] >= born} for o in (old, young)]
                together = turns[0] & turns[1]
                if together or min(len(t) + (o is seen) for t, o in zip(turns, (old, young))) < DOUBLE_TURNS:
                    continue
                self._tracker.tracked_objects.remove(young)
                self._doubles[young.id] = old.id
