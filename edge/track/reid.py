"""Re-identification of a walker whose face was hidden (a nearer walker in front, a turned head): joins the new
track to the fragment it continues, so a crossing is decided on the whole walk.

Used as norfair's ReID distance: norfair offers each track that is still initialising to the tracks that lost
their detection (alive or dead for up to `reid_s`), and merges the pair with the smallest distance under the
threshold into the old track's id. A pair must pass motion and size gates; appearance, where the unit computes
embeddings, then decides. Without embeddings (privacy level `counts`) only a tight motion match joins.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

THRESHOLD = 1.0  # distances at or above this never join
NO_MATCH = 1e3
MIN_SIMILARITY = 0.3  # SFace cosine: same person above ~0.45 on the fixture faces, others below 0.3
MOTION_ONLY_GATE = 1.0  # face heights from where the hidden face was predicted, when appearance cannot tell
# A face is seen walking towards the camera, down the image: hidden, it walks on or stands; it does not reappear this
# many face heights higher up (someone who turns back shows no face). Joins that did were another walker coming in
# behind, and undid the first one's crossing. (Bodies, seen walking both ways, join by motion within a body height,
# which this never refuses.)
MAX_BACK = 1.0


@dataclass(frozen=True)
class Appearance:
    """How the tracker asks for appearance without knowing the embedder: of a track's best sightings so far, and
    of one face on the current frame. Either may answer None (no usable sighting)."""

    of_track: Callable[[int], np.ndarray | None]
    of_face: Callable[[np.ndarray, np.ndarray], np.ndarray | None]


def box_iou(a: np.ndarray, b: np.ndarray) -> float:
    """IoU of two 2x2 [[x1, y1], [x2, y2]] boxes (0 when either is empty)."""
    (ax1, ay1), (ax2, ay2) = a
    (bx1, by1), (bx2, by2) = b
    inter = max(min(ax2, bx2) - max(ax1, bx1), 0.0) * max(min(ay2, by2) - max(ay1, by1), 0.0)
    union = (ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - inter
    return float(inter / union) if union > 0 else 0.0


def _box(points: np.ndarray) -> tuple[np.ndarray, float]:
    """Centre and height of a 2x2 [[x1, y1], [x2, y2]] box."""
    return points.mean(axis=0), float(abs(points[1, 1] - points[0, 1]))


def _went_back(old, c_last: np.ndarray, c_new: np.ndarray, h: float) -> bool:
    """Whether c_new lies more than MAX_BACK face heights above c_last in the image, for an old track that had walked
    down it (towards the camera) by at least a face height since it was first seen."""
    origin = getattr(old, "footfall_origin", None)
    return origin is not None and c_last[1] - origin[1] >= h and c_new[1] - c_last[1] < -MAX_BACK * h


class ReId:
    def __init__(self, fps: float, appearance: Appearance | None = None):
        self.fps = fps
        self.appearance = appearance
        self.image: np.ndarray | None = None  # the frame being tracked (set by the tracker before each update)
        self.frame_index = 0
        self._face_cache: dict[int, np.ndarray | None] = {}
        self._kind: dict[int, tuple[float, str]] = {}  # id(new object) -> its best pair under threshold, and how

    def start_frame(self, image: np.ndarray, index: int) -> None:
        self.image, self.frame_index = image, index
        self._face_cache.clear()
        self._kind.clear()

    def kind(self, new) -> str | None:
        """How the best join offered to this initialising track was decided ("appearance" or "motion")."""
        best = self._kind.get(id(new))
        return best[1] if best else None

    def _keep(self, new, distance: float, kind: str) -> float:
        if id(new) not in self._kind or distance < self._kind[id(new)][0]:
            self._kind[id(new)] = (distance, kind)
        return distance

    def distance(self, new, old) -> float:
        """norfair calls this with (initialising track, old track)."""
        if old.id is None:  # the old one never became a track: nothing to continue
            return NO_MATCH
        new_det = new.last_detection
        c_new, h_new = _box(new_det.points)
        c_pred = _box(old.estimate)[0]
        c_last, h_last = _box(old.last_detection.points)
        h = max(h_last, h_new, 1.0)
        lost_s = max(self.frame_index - old.last_detection.data.frame, 1) / self.fps
        # where it was predicted to be, or where it was last seen (someone who stopped behind another walker)
        d = min(np.linalg.norm(c_pred - c_new), np.linalg.norm(c_last - c_new)) / h
        if d > 1.5 + 2.0 * lost_s:
            return NO_MATCH
        ratio = h_new / max(h_last, 1.0)
        grow = 1.5 + 0.5 * lost_s  # approaching the camera, a face grows
        if not 1 / grow <= ratio <= grow:
            return NO_MATCH
        if _went_back(old, c_last, c_new, h):
            return NO_MATCH
        similarity = self._similarity(old.id, new_det)
        if similarity is None:
            if d > MOTION_ONLY_GATE:
                return NO_MATCH
            return self._keep(new, 0.9 + 0.09 * d / MOTION_ONLY_GATE, "motion")
        if similarity < MIN_SIMILARITY:
            return NO_MATCH
        return self._keep(new, (1.0 - similarity) * 0.8 + 0.02 * d, "appearance")  # position breaks ties

    def iou_distance(self, det, obj) -> float:
        """The tracker's frame-to-frame distance, 1 - IoU of the detection and the predicted box; a track that
        missed a frame and would now take a face that looks like someone else's is refused (a walker stepping into
        the spot where a hidden one was predicted)."""
        distance = 1.0 - box_iou(det.points, obj.estimate)
        if distance < 1.0 and obj.id is not None and obj.last_detection.data.frame < self.frame_index - 1:
            similarity = self._similarity(obj.id, det)
            if similarity is not None and similarity < MIN_SIMILARITY:
                return 1.0
        return float(distance)

    def _similarity(self, old_id: int, det) -> float | None:
        if self.appearance is None or self.image is None or det.data.frame != self.frame_index:
            return None
        old_vec = self.appearance.of_track(old_id)
        if old_vec is None:
            return None
        key = id(det)
        if key not in self._face_cache:
            self._face_cache[key] = self.appearance.of_face(self.image, det.data.keypoints)
        new_vec = self._face_cache[key]
        if new_vec is None:
            return None
        return float(np.dot(old_vec, new_vec))
