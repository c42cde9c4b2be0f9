"""Lines and zones in normalised image coordinates (0..1, y down)."""
from __future__ import annotations

import cv2
import numpy as np


class CountingLine:
    """Crossing towards the right-hand side of a->b (in image coordinates) is `in`.

    Hysteresis: a track must be `margin` clear of the line on one side, then on the other, for a crossing to count,
    so a face jittering on the line counts once, not every frame.
    """

    def __init__(self, id: str, a, b, margin: float = 0.02):
        self.id = id
        self.a = np.asarray(a, np.float64)
        self.b = np.asarray(b, np.float64)
        d = self.b - self.a
        self.length = float(np.hypot(*d))
        self.dir = d / self.length
        self.margin = margin

    def signed_distance(self, p) -> float:
        v = np.asarray(p, np.float64) - self.a
        return float(self.dir[0] * v[1] - self.dir[1] * v[0])

    def within_extent(self, p) -> bool:
        t = float(np.dot(np.asarray(p, np.float64) - self.a, self.dir))
        return -self.margin <= t <= self.length + self.margin

    def side(self, p) -> int:
        """+1 right of the line, -1 left, 0 inside the hysteresis band."""
        d = self.signed_distance(p)
        return 1 if d > self.margin else -1 if d < -self.margin else 0


class Zone:
    def __init__(self, id: str, polygon):
        self.id = id
        self.contour = np.asarray(polygon, np.float32).reshape(-1, 1, 2)

    def contains(self, p) -> bool:
        return cv2.pointPolygonTest(self.contour, (float(p[0]), float(p[1])), False) >= 0
