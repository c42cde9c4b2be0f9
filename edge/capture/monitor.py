"""Notices a camera that froze (identical frames), went dark (lens covered, lights off) or moved (knocked, turned).

"Moved" compares the edges of a slowly updated background (walkers average out) with those of the reference view
stored at commissioning (capture/reference.py); a unit never commissioned learns one in its first minute, in memory.
"""
from __future__ import annotations

import numpy as np

from .frame import Frame
from .reference import Background, similarity


class FeedMonitor:
    def __init__(self, frozen_after_s: float = 10.0, dark_after_s: float = 10.0, dark_level: float = 12.0,
                 still_level: float = 0.05, learn_s: float = 60.0, check_every_s: float = 5.0, moved_below: float = 0.5,
                 reference: np.ndarray | None = None):
        self.frozen_after_s = frozen_after_s
        self.dark_after_s = dark_after_s
        self.dark_level = dark_level  # mean grey level 0..255
        # mean absolute change of a subsample taken without averaging: a live sensor's noise alone exceeds it, a
        # frozen pipeline repeating one buffer does not (an averaged thumbnail would call a quiet scene frozen)
        self.still_level = still_level
        self._last: np.ndarray | None = None
        self._still_since: float | None = None
        self._dark_since: float | None = None
        self.learn_s, self.check_every_s, self.moved_below = learn_s, check_every_s, moved_below
        self._background = Background()
        self._reference = reference  # the commissioned view's edges; None: learned after learn_s
        self._started: float | None = None
        self._next_check = 0.0
        self.view_similarity = 1.0
        self.state = "ok"

    def _moved(self, frame: Frame) -> bool:
        self._background.add(frame.image)
        if self._started is None:
            self._started = frame.ts
        if self._reference is None:
            if frame.ts - self._started >= self.learn_s:
                self._reference = self._background.edges()
            return False
        if frame.ts >= self._next_check:
            self._next_check = frame.ts + self.check_every_s
            self.view_similarity = similarity(self._background.edges(), self._reference)
        return self.view_similarity < self.moved_below

    def update(self, frame: Frame) -> str:
        thumb = frame.image[::8, ::8, 1].astype(np.float32)
        still = self._last is not None and float(np.abs(thumb - self._last).mean()) < self.still_level
        dark = float(thumb.mean()) < self.dark_level
        self._last = thumb
        self._still_since = (self._still_since or frame.ts) if still else None
        self._dark_since = (self._dark_since or frame.ts) if dark else None
        moved = self._moved(frame)
        if self._dark_since is not None and frame.ts - self._dark_since >= self.dark_after_s:
            self.state = "dark"
        elif moved:
            self.state = "moved"
        elif self._still_since is not None and frame.ts - self._still_since >= self.frozen_after_s:
            self.state = "frozen"
        else:
            self.state = "ok"
        return self.state
