"""Which person track a face track belongs to, in person mode: the face box lies inside the upper part of the body
box, consistently over frames.

Each frame a detected face votes for the body whose head region holds it (the nearest to where the head should be
when several do, e.g. two people side by side). A face belongs to a body once it has voted for it on `min_frames`
frames and on at least `min_share` of its votes, so a face that passes in front of someone else's body for a frame
or two is not handed to them.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

import numpy as np

HEAD_TOP = -0.08  # the head region, in body heights from the top of the body box (a box may cut the hair)
HEAD_BOTTOM = 0.35  # a face centre lower than this is on someone's torso, not their head
SIDE_SLACK = 0.1  # in body widths either side
HEAD_AT = 0.1  # where the face centre of an upright walker is, in body heights from the top


def head_distance(face_box: np.ndarray, body_box: np.ndarray) -> float | None:
    """How far the face is from where this body's head should be (in body heights), or None when the face is not in
    the body's head region (or is too big to be this body's face)."""
    fx1, fy1, fx2, fy2 = (float(v) for v in face_box)
    bx1, by1, bx2, by2 = (float(v) for v in body_box)
    bw, bh = bx2 - bx1, by2 - by1
    if bw <= 0 or bh <= 0:
        return None
    fcx, fcy = (fx1 + fx2) / 2, (fy1 + fy2) / 2
    if not (bx1 - SIDE_SLACK * bw <= fcx <= bx2 + SIDE_SLACK * bw):
        return None
    if not (by1 + HEAD_TOP * bh <= fcy <= by1 + HEAD_BOTTOM * bh):
        return None
    if fy2 - fy1 > 0.5 * bh or fx2 - fx1 > 1.2 * bw:
        return None
    return float(np.hypot((fcx - (bx1 + bx2) / 2) / bh, (fcy - (by1 + HEAD_AT * bh)) / bh))


class FaceAttacher:
    def __init__(self, min_frames: int = 3, min_share: float = 0.6):
        self.min_frames = min_frames
        self.min_share = min_share
        self._votes: dict[int, Counter] = defaultdict(Counter)

    def update(self, faces: Iterable, bodies: Iterable) -> None:
        """faces: face tracks of this frame (only those detected on it vote); bodies: person tracks of this frame
        (detected or carried by prediction; a lost one gets no vote)."""
        bodies = [b for b in bodies if b.detected]
        if not bodies:
            return
        for face in faces:
            if not face.detected:
                continue
            best, best_d = None, None
            for body in bodies:
                d = head_distance(face.box, body.box)
                if d is not None and (best_d is None or d < best_d):
                    best, best_d = body.id, d
            if best is not None:
                self._votes[face.id][best] += 1

    def body_of(self, face_id: int) -> int | None:
        votes = self._votes.get(face_id)
        if not votes:
            return None
        body, n = votes.most_common(1)[0]
        if n >= self.min_frames and n >= self.min_share * sum(votes.values()):
            return body
        return None

    def faces_of(self, body_id: int) -> list[int]:
        return [f for f in list(self._votes) if self.body_of(f) == body_id]

    def votes(self, face_id: int) -> int:
        """How many frames the face voted for the body it belongs to (0 when none)."""
        body = self.body_of(face_id)
        return self._votes[face_id][body] if body is not None else 0

    def drop_face(self, face_id: int) -> None:
        self._votes.pop(face_id, None)
