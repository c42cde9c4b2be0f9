"""SFace (int8 weights) on LiteRT: aligned 112x112 face -> L2-normalised 128-d embedding."""
from __future__ import annotations

import cv2
import numpy as np

from footfall.edge.models import TfliteModel

MODEL_FILE = "sface_dynint8.tflite"


class SFace:
    dim = 128

    def __init__(self, threads: int = 1):
        self.model = TfliteModel(MODEL_FILE, threads)
        self.model_file = MODEL_FILE

    def __call__(self, aligned_bgr: np.ndarray) -> np.ndarray:
        # float RGB 0..255; the model normalises inside
        rgb = cv2.cvtColor(aligned_bgr, cv2.COLOR_BGR2RGB).astype(np.float32)[None]
        v = self.model.run(rgb)[0][0]
        return v / max(float(np.linalg.norm(v)), 1e-12)
