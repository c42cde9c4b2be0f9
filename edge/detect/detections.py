from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from footfall.edge.capture.frame import Frame

# BlazeFace keypoint order, from the subject's point of view.
RIGHT_EYE, LEFT_EYE, NOSE, MOUTH, RIGHT_EAR, LEFT_EAR = range(6)


@dataclass(frozen=True, eq=False)
class Detections:
    """Faces found in one frame. Coordinates are frame pixels."""

    frame: Frame
    boxes: np.ndarray  # (N, 4) float32 x1, y1, x2, y2
    scores: np.ndarray  # (N,) float32
    keypoints: np.ndarray  # (N, 6, 2) float32

    def __len__(self) -> int:
        return len(self.scores)

    @classmethod
    def empty(cls, frame: Frame) -> "Detections":
        return cls(frame, np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros((0, 6, 2), np.float32))


@dataclass(frozen=True, eq=False)
class People:
    """Whole bodies found in one frame by the person detector. Coordinates are frame pixels."""

    frame: Frame
    boxes: np.ndarray  # (N, 4) float32 x1, y1, x2, y2
    scores: np.ndarray  # (N,) float32

    def __len__(self) -> int:
        return len(self.scores)

    @classmethod
    def empty(cls, frame: Frame) -> "People":
        return cls(frame, np.zeros((0, 4), np.float32), np.zeros(0, np.float32))
