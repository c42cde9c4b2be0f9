"""Enrollment photos -> SFace embeddings, through the edge's own detector, alignment and quality gate.

Only the embeddings are kept (and only in the encrypted gallery); the photos are read, never copied.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from footfall.edge.capture.frame import Frame
from footfall.edge.embed.align import align
from footfall.edge.embed.quality import geometry_score, sharpness_score

SUFFIXES = {".jpg", ".jpeg", ".png"}
# An enrollment photo is chosen, not caught in passing: hold it to a higher bar than a track's sightings (0.25).
ENROLL_MIN_QUALITY = 0.35


def padded(image: np.ndarray) -> np.ndarray:
    """Tight pre-aligned crops (LFW 100 px, dlib 150 px chips) get a border so the detector sees a whole head."""
    h, w = image.shape[:2]
    if max(h, w) > 200:
        return image
    p = max(h, w) // 2
    return cv2.copyMakeBorder(image, p, p, p, p, cv2.BORDER_REPLICATE)


@dataclass(frozen=True)
class PhotoResult:
    name: str
    quality: float
    vector: np.ndarray | None  # None: no face, or below the quality bar
    reason: str = ""


class PhotoEmbedder:
    def __init__(self, detector=None, embed=None, min_quality: float = ENROLL_MIN_QUALITY):
        if detector is None:
            from footfall.edge.detect.blazeface import BlazeFace

            detector = BlazeFace("full_range", min_confidence=0.5, min_face_px=16)
        if embed is None:
            from footfall.edge.embed.sface import SFace

            embed = SFace()
        self.detector, self.embed, self.min_quality = detector, embed, min_quality

    def largest_face(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """(padded image, keypoints of its largest face) or None."""
        image = padded(image)
        d = self.detector(Frame(image, 0, 0, ""))
        if not len(d):
            return None
        best = int(np.argmax((d.boxes[:, 2] - d.boxes[:, 0]) * d.scores))
        return image, d.keypoints[best]

    def __call__(self, image: np.ndarray, name: str = "") -> PhotoResult:
        found = self.largest_face(image)
        if found is None:
            return PhotoResult(name, 0.0, None, "no face found")
        image, kp = found
        crop = align(image, kp)
        q = geometry_score(kp) * (0.5 + 0.5 * sharpness_score(crop))
        if q < self.min_quality:
            return PhotoResult(name, q, None, f"quality {q:.2f} below {self.min_quality} (small, turned or blurred)")
        return PhotoResult(name, q, np.asarray(self.embed(crop), np.float32))

    def folder(self, folder: Path) -> list[PhotoResult]:
        out = []
        for photo in sorted(folder.iterdir()):
            if photo.suffix.lower() in SUFFIXES and (image := cv2.imread(str(photo), cv2.IMREAD_COLOR)) is not None:
                out.append(self(image, photo.name))
        return out
