"""mini-Xception (FER2013) on LiteRT: one face -> probabilities of its seven expressions."""
from __future__ import annotations

import cv2
import numpy as np

from footfall.edge.models import TfliteModel

MODEL_FILE = "emotion_fp32.tflite"
LABELS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
SIZE = 64


def face_box_crop(image: np.ndarray, box: np.ndarray) -> np.ndarray:
    """Grey square around the detector's box, as FER2013's faces were cut (whole face, little background)."""
    x1, y1, x2, y2 = (float(v) for v in box)
    cx, cy, side = (x1 + x2) / 2, (y1 + y2) / 2, max(x2 - x1, y2 - y1) * 1.1
    h, w = image.shape[:2]
    a, b = int(max(cx - side / 2, 0)), int(max(cy - side / 2, 0))
    c, d = int(min(cx + side / 2, w)), int(min(cy + side / 2, h))
    if c - a < 2 or d - b < 2:
        return np.zeros((SIZE, SIZE), np.uint8)
    grey = cv2.cvtColor(image[b:d, a:c], cv2.COLOR_BGR2GRAY)
    return cv2.resize(grey, (SIZE, SIZE), interpolation=cv2.INTER_AREA)


class Expression:
    def __init__(self, threads: int = 1):
        self.model = TfliteModel(MODEL_FILE, threads)
        self.model_file = MODEL_FILE

    def __call__(self, grey64: np.ndarray) -> np.ndarray:
        x = (grey64.astype(np.float32) / 127.5 - 1.0)[None, :, :, None]
        p = self.model.run(x)[0][0].astype(np.float64)
        return p / max(p.sum(), 1e-12)
