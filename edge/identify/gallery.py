"""Privacy level `device`: codes stay in this process; only unique / returning counts leave the device."""
from __future__ import annotations

import numpy as np

from footfall.protocol.contract import CODE_BYTES, MATCH_MAX_DISTANCE


class DeviceGallery:
    def __init__(self, max_distance: int = MATCH_MAX_DISTANCE):
        self.max_distance = max_distance
        self.period: str | None = None
        self._codes = np.zeros((0, CODE_BYTES), np.uint8)

    def seen(self, code: str, period: str) -> bool:
        """Record a visit; True when the same visitor was already seen this period. A new period wipes the gallery."""
        if period != self.period:
            self.period = period
            self._codes = np.zeros((0, CODE_BYTES), np.uint8)
        c = np.frombuffer(bytes.fromhex(code), np.uint8)
        returning = bool(len(self._codes)) and int(np.unpackbits(self._codes ^ c, axis=1).sum(1).min()) <= self.max_distance
        if not returning:
            self._codes = np.vstack([self._codes, c])
        return returning
