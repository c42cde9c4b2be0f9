from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class Frame:
    """One camera image, as every capture backend yields it. Lives in memory only, never written anywhere."""

    image: np.ndarray  # HxWx3 uint8, BGR (OpenCV order)
    ts: float  # seconds since the epoch (device clock; for files: start time + position)
    index: int  # the camera's frame number since the source was opened: a gap means frames dropped (skipped or failed)
    source: str  # the source's name for logs (a stream's password hidden), never the URL it opened

    @property
    def size(self) -> tuple[int, int]:
        h, w = self.image.shape[:2]
        return w, h
