"""Keypoints of a face found again on a close-up of it, for the crop the embedder codes.

The whole-frame pass sees a 40 px face as 6 px of its 192 px input: its keypoints are off by about a pixel of that
input, a quarter to half of the eye distance, and the aligned crop comes out shifted or zoomed (it then codes as
someone else). The short-range model on a close-up, the face about half of its 128 px input (the size it was made
for), places them within a twentieth of the eye distance. Where it finds no face (the back of a head, which the
whole-frame pass can score over 0.7), the sighting gives no crop: its code would link to nobody and add a visitor.
"""
from __future__ import annotations

import cv2
import numpy as np

from footfall.edge.capture.frame import Frame
from footfall.edge.detect.detections import LEFT_EYE, MOUTH, RIGHT_EYE

CLOSE_UP_EYES = 4.0  # the close-up's side in eye distances: the face fills about half of it


def close_up(image: np.ndarray, keypoints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(square patch around the face, the keypoints in its pixels): the frame's own pixels, not resampled. Past the
    frame's edge the patch repeats the edge row, as the aligned crop always has."""
    eyes = float(np.linalg.norm(keypoints[LEFT_EYE] - keypoints[RIGHT_EYE]))
    side = max(int(round(CLOSE_UP_EYES * eyes)), 16)
    x0, y0 = (int(round(v)) for v in keypoints[[RIGHT_EYE, LEFT_EYE, MOUTH]].mean(0) - side / 2)
    h, w = image.shape[:2]
    inside = image[max(y0, 0):max(min(y0 + side, h), 0), max(x0, 0):max(min(x0 + side, w), 0)]
    if inside.shape[:2] == (side, side):
        patch = inside
    else:
        top, left = max(-y0, 0), max(-x0, 0)
        patch = cv2.copyMakeBorder(inside, top, side - top - inside.shape[0], left, side - left - inside.shape[1],
                                   cv2.BORDER_REPLICATE) if inside.size else np.zeros((side, side, 3), image.dtype)
    return patch, (keypoints - np.float32([x0, y0])).astype(np.float32)


class KeypointRefiner:
    def __init__(self, detector):
        self.detector = detector  # BlazeFace("short_range")

    def __call__(self, patch: np.ndarray, keypoints: np.ndarray) -> np.ndarray | None:
        """The close-up's own face keypoints, or None when the model finds no face where they are."""
        found = self.detector(Frame(patch, 0.0, 0, "close-up"))
        if not len(found):
            return None
        eyes = float(np.linalg.norm(keypoints[LEFT_EYE] - keypoints[RIGHT_EYE]))
        given = keypoints[[RIGHT_EYE, LEFT_EYE, MOUTH]].mean(0)
        offsets = np.linalg.norm(found.keypoints[:, [RIGHT_EYE, LEFT_EYE, MOUTH]].mean(1) - given, axis=1)
        best = int(np.argmin(offsets))
        return found.keypoints[best] if offsets[best] <= eyes else None
