"""Similarity alignment of BlazeFace keypoints to the 112x112 ArcFace template SFace was trained on."""
from __future__ import annotations

import cv2
import numpy as np

from footfall.edge.detect.detections import LEFT_EYE, MOUTH, NOSE, RIGHT_EYE

# ArcFace template: eye on the image's left (the subject's right), other eye, nose, mouth corners.
ARCFACE_112 = np.array([[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366],
                        [41.5493, 92.3655], [70.7299, 92.2041]], np.float32)
# BlazeFace gives the mouth centre, not its corners: align on four points.
TEMPLATE = np.vstack([ARCFACE_112[:3], ARCFACE_112[3:].mean(0)])
SIZE = 112


def similarity(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Least-squares similarity transform src -> dst (Umeyama 1991), as a 2x3 matrix."""
    mu_s, mu_d = src.mean(0), dst.mean(0)
    s, d = src - mu_s, dst - mu_d
    cov = d.T @ s / len(src)
    u, sigma, vt = np.linalg.svd(cov)
    sign = np.diag([1.0, np.sign(np.linalg.det(u @ vt))])
    rot = u @ sign @ vt
    scale = np.trace(np.diag(sigma) @ sign) / s.var(0).sum()
    m = np.empty((2, 3), np.float32)
    m[:, :2] = scale * rot
    m[:, 2] = mu_d - scale * rot @ mu_s
    return m


# The face itself on the crop, forehead to chin (its corners are background), sampled on a grid.
_FACE_GRID = np.stack(np.meshgrid(np.linspace(16, 96, 9), np.linspace(16, SIZE, 9)), -1).reshape(-1, 2)


def _to_crop(keypoints: np.ndarray) -> np.ndarray:
    return similarity(keypoints[[RIGHT_EYE, LEFT_EYE, NOSE, MOUTH]].astype(np.float64), TEMPLATE.astype(np.float64))


def align(image: np.ndarray, keypoints: np.ndarray) -> np.ndarray:
    """112x112 BGR crop of one face from its six BlazeFace keypoints (frame pixels)."""
    return cv2.warpAffine(image, _to_crop(keypoints), (SIZE, SIZE), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)


def share_in_frame(shape: tuple[int, ...], keypoints: np.ndarray) -> float:
    """Share of the face that lies on the frame (1.0: all of it). Where a face is cut off by the frame's edge (a
    walker leaving at the bottom), the crop is filled in from the edge row: a smear that codes less like them."""
    back = cv2.invertAffineTransform(_to_crop(keypoints))
    points = _FACE_GRID @ back[:, :2].T + back[:, 2]
    h, w = shape[:2]
    return float(((points >= 0).all(1) & (points[:, 0] <= w) & (points[:, 1] <= h)).mean())
