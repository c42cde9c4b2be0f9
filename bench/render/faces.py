"""Face sprites cut from identity photos (one folder per identity), located with the edge's own BlazeFace."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from footfall.edge.capture.frame import Frame
from footfall.edge.detect.blazeface import BlazeFace

PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}


@dataclass(frozen=True, eq=False)
class Sprite:
    """A head cut-out: image, soft elliptical alpha, and the face box inside it (for scaling)."""

    photo: str
    image: np.ndarray  # BGR
    alpha: np.ndarray  # float32 0..1
    face_h: float  # face box height in sprite pixels
    face_centre: tuple[float, float]  # in sprite pixels
    face_w: float = 0.0  # face box width in sprite pixels (0: as tall as wide)

    @property
    def aspect(self) -> float:
        return self.face_w / self.face_h if self.face_w else 1.0


class FaceLibrary:
    def __init__(self, root: str | Path, min_face_px: int = 40):
        self.root = Path(root)
        detector = BlazeFace("full_range", min_confidence=0.6, min_face_px=min_face_px)
        self.identities: dict[str, list[Sprite]] = {}
        for folder in sorted(p for p in self.root.iterdir() if p.is_dir()):
            sprites = [s for f in sorted(folder.iterdir()) if f.suffix.lower() in PHOTO_SUFFIXES
                       if (s := self._sprite(f, detector)) is not None]
            if sprites:
                self.identities[folder.name] = sprites
        if not self.identities:
            raise ValueError(f"no usable face photos under {self.root} (expected one subfolder per identity)")

    def _sprite(self, path: Path, detector: BlazeFace) -> Sprite | None:
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            return None
        dets = detector(Frame(image, 0.0, 0, str(path)))
        if len(dets) != 1:  # skip group shots and misses: the identity label must be unambiguous
            return None
        x1, y1, x2, y2 = dets.boxes[0]
        w, h = x2 - x1, y2 - y1
        # head with hair and chin: wider and taller than the detector's face box
        cx, cy = (x1 + x2) / 2, (y1 + y2) / 2 - 0.12 * h
        hw, hh = 0.8 * w, 1.0 * h
        X1, Y1 = int(max(0, cx - hw)), int(max(0, cy - hh))
        X2, Y2 = int(min(image.shape[1], cx + hw)), int(min(image.shape[0], cy + hh))
        crop = image[Y1:Y2, X1:X2].copy()
        ch, cw = crop.shape[:2]
        alpha = np.zeros((ch, cw), np.float32)
        centre = (int(cx - X1), int(cy - Y1))
        cv2.ellipse(alpha, centre, (int(hw * 0.78), int(hh * 0.92)), 0, 0, 360, 1.0, -1)
        alpha = cv2.GaussianBlur(alpha, (0, 0), max(1.0, 0.06 * w))
        # where the photo ends inside the head (hair cut off at the top), fade out instead of a straight edge
        ramp = max(2, int(0.1 * h))
        fade = np.minimum(np.arange(ch) / ramp, 1.0)
        if Y1 == 0:
            alpha *= fade[:, None]
        if Y2 == image.shape[0]:
            alpha *= fade[::-1, None]
        fade = np.minimum(np.arange(cw) / ramp, 1.0)
        if X1 == 0:
            alpha *= fade[None, :]
        if X2 == image.shape[1]:
            alpha *= fade[None, ::-1]
        return Sprite(str(path), crop, alpha, float(h), ((x1 + x2) / 2 - X1, (y1 + y2) / 2 - Y1), float(w))
