"""One viewer's look at a display -> delighted / neutral / disinterested, from the expressions over its frames."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .expression import LABELS

_HAPPY = [LABELS.index(x) for x in ("happy", "surprise")]
_FROWN = [LABELS.index(x) for x in ("angry", "disgust", "sad")]


@dataclass
class Look:
    """Expressions seen while one track looked at one display (frames where its face was frontal in the zone)."""

    looked_s: float = 0.0
    frames: int = 0
    probs: np.ndarray = field(default_factory=lambda: np.zeros(len(LABELS)))

    def add(self, dt: float, p: np.ndarray | None) -> None:
        self.looked_s += dt
        if p is not None:
            self.frames += 1
            self.probs += p


def summarise(look: Look, min_view_s: float, delight: float, frown: float) -> str:
    """A glance shorter than a viewer's minimum is disinterest (it looked away quickly); a frown over the look too.
    Delight needs the smile (or surprise) to dominate the mean over the frames, not one frame."""
    if look.looked_s < min_view_s:
        return "disinterested"
    if look.frames == 0:
        return "neutral"
    mean = look.probs / look.frames
    if float(mean[_HAPPY].sum()) >= delight:
        return "delighted"
    if float(mean[_FROWN].sum()) >= frown:
        return "disinterested"
    return "neutral"
