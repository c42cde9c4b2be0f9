"""The reference view stored at commissioning, which the `moved` check compares the live view against.

It is the edge map of a 64x36 grey thumbnail of the averaged scene (walkers average out): coarse enough that no
face or person can be made out of it, fine enough that a camera turned by a few degrees no longer matches. It lives
in the unit's state directory so a restart compares against the commissioned view instead of learning whatever the
camera sees now (a unit knocked askew and restarted must report `moved`, not `ok`).
"""
from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

VIEW = (64, 36)
FILE = "reference-view.npz"


def thumbnail(image: np.ndarray) -> np.ndarray:
    return cv2.resize(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), VIEW, interpolation=cv2.INTER_AREA).astype(np.float32)


def edges(gray: np.ndarray) -> np.ndarray:
    """Normalised gradient magnitude: the product of two of these, averaged, is their correlation (1 = same view)."""
    e = cv2.magnitude(cv2.Sobel(gray, cv2.CV_32F, 1, 0), cv2.Sobel(gray, cv2.CV_32F, 0, 1))
    return (e - e.mean()) / (e.std() + 1e-6)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    return float((a * b).mean())


class Background:
    """The slowly updated average thumbnail of what the camera sees."""

    def __init__(self, rate: float = 0.05):
        self.rate = rate
        self.mean: np.ndarray | None = None
        self.frames = 0

    def add(self, image: np.ndarray) -> None:
        view = thumbnail(image)
        if self.mean is None:
            self.mean = view
        cv2.accumulateWeighted(view, self.mean, self.rate)
        self.frames += 1

    def edges(self) -> np.ndarray:
        if self.mean is None:
            raise ValueError("no frame seen yet")
        return edges(self.mean)


@dataclass(frozen=True)
class Reference:
    edges: np.ndarray
    created: float  # unix time of commissioning

    @property
    def signature(self) -> str:
        """Short hash of the stored view, quoted in the commissioning report: the file it finds later is this one."""
        return hashlib.sha256(np.round(self.edges, 3).astype(np.float16).tobytes()).hexdigest()[:16]


def path_in(state_dir: Path) -> Path:
    return Path(state_dir) / FILE


def save(state_dir: Path, view_edges: np.ndarray) -> Reference:
    ref = Reference(view_edges.astype(np.float32), time.time())
    path = path_in(state_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, edges=ref.edges, meta=np.array(json.dumps({"created": ref.created})))
    tmp.replace(path)
    return ref


def load(state_dir: Path) -> Reference | None:
    """The stored reference, or None before commissioning. A damaged file raises (the caller names it)."""
    path = path_in(state_dir)
    if not path.exists():
        return None
    with np.load(path) as data:
        e = data["edges"]
        meta = json.loads(str(data["meta"]))
    if e.shape != (VIEW[1], VIEW[0]):
        raise ValueError(f"{path}: view of shape {e.shape}, expected {(VIEW[1], VIEW[0])}")
    return Reference(e, float(meta["created"]))
