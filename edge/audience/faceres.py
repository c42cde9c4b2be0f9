"""HSE FaceRes on LiteRT: one face -> expected age (years), its spread, and P(male).

The model also computes a 1024-d identity embedding; it is dropped here, never kept or returned. That is why
age / gender is refused at privacy level `counts` (edge/audience/rules.py).
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from footfall.edge.detect.detections import LEFT_EYE, MOUTH, NOSE, RIGHT_EYE
from footfall.edge.embed.align import TEMPLATE, similarity
from footfall.edge.models import TfliteModel

MODEL_FILE = "faceres_dynint8.tflite"
SIZE = 224
VGG_MEAN_BGR = np.array([103.939, 116.779, 123.68], np.float32)
_YEARS = np.arange(100, dtype=np.float32)


@dataclass(frozen=True)
class AgeGender:
    age: float  # expected age over the model's 0..99 softmax
    age_sd: float  # spread of that softmax, years: wide means the model does not know
    p_male: float  # the model's sigmoid: 1 male, 0 female


def align_224(image: np.ndarray, keypoints: np.ndarray) -> np.ndarray:
    """The ArcFace-template crop at 224 px (measured best of the margins tried, docs/accuracy.md)."""
    src = keypoints[[RIGHT_EYE, LEFT_EYE, NOSE, MOUTH]].astype(np.float64)
    m = similarity(src, (TEMPLATE.astype(np.float64) * SIZE / 112))
    return cv2.warpAffine(image, m, (SIZE, SIZE), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


class FaceRes:
    def __init__(self, threads: int = 1):
        self.model = TfliteModel(MODEL_FILE, threads)
        self.model_file = MODEL_FILE
        names = [d["name"] for d in self.model.interpreter.get_output_details()]
        self._gender = next(i for i, n in enumerate(names) if "gender" in n)
        self._age = next(i for i, n in enumerate(names) if "age" in n)

    def __call__(self, crop_bgr: np.ndarray) -> AgeGender:
        out = self.model.run((crop_bgr.astype(np.float32) - VGG_MEAN_BGR)[None])
        p = out[self._age][0].astype(np.float64)
        p /= max(p.sum(), 1e-12)
        age = float((p * _YEARS).sum())
        sd = float(np.sqrt((p * (_YEARS - age) ** 2).sum()))
        return AgeGender(age, sd, float(out[self._gender][0, 0]))
