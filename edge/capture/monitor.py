"""Notices a camera that froze (identical frames) or went dark (lens covered, lights off)."""
from __future__ import annotations

import cv2
import numpy as np

from .frame import Frame

THUMB = (32, 18)


class FeedMonitor:
    def __init__(self, frozen_after_s: float = 10.0, dark_after_s: float = 10.0, dark_level: float = 12.0,
                 still_level: float = 0.5):
        self.frozen_after_s = frozen_after_s
        self.dark_after_s = dark_after_s
        self.dark_level = dark_level  # mean grey level 0..255
        self.still_level = still_level  # mean absolute thumbnail change; sensor noise alone exceeds it
        self._last: np.ndarray | None = None
        self._still_since: float | None = None
        self._dark_since: float | None = None
        self.state = "ok"

    def update(self, frame: Frame) -> str:
        thumb = cv2.resize(cv2.cvtColor(frame.image, cv2.COLOR_BGR2GRAY), THUMB, interpolation=cv2.INTER_AREA).astype(np.float32)
        still = self._last is not None and float(np.abs(thumb - self._last).mean()) < self.still_level
        dark = float(thumb.mean()) < self.dark_level
        self._last = thumb
        self._still_since = (self._still_since or frame.ts) if still else None
        self._dark_since = (self._dark_since or frame.ts) if dark else None
        if self._dark_since is not None and frame.ts - self._dark_since >= self.dark_after_s:
            self.state = "dark"
        elif self._still_since is not None and frame.ts - self._still_since >= self.frozen_after_s:
            self.state = "frozen"
        else:
            self.state = "ok"
        return self.state
