"""How useful one sighting of a face is for identity: size, frontalness, sharpness, each 0..1."""
from __future__ import annotations

import cv2
import numpy as np

from footfall.edge.detect.detections import LEFT_EYE, NOSE, RIGHT_EYE

FULL_SIZE_EYE_PX = 40.0  # eye distance at which size stops mattering (~100 px faces)
FULL_SHARPNESS = 150.0  # variance of the Laplacian of the aligned crop where blur stops mattering
# Weaker detections carry a track (detector.follow_confidence) but give no identity, attribute or look at a display:
# they are small, half hidden, turned, or no face at all (the back of a leaver's head scores 0.4-0.62 on the
# rendered scenes).
MIN_DETECTION_SCORE = 0.7


def identity_sighting(face) -> bool:
    """A tracked face (keypoints, score) whose crop may go to the embedder or the audience models."""
    return face.keypoints is not None and face.score >= MIN_DETECTION_SCORE


def geometry_score(keypoints: np.ndarray) -> float:
    """Size and frontalness from the keypoints alone: cheap, decides whether a crop is worth taking."""
    right, left, nose = keypoints[RIGHT_EYE], keypoints[LEFT_EYE], keypoints[NOSE]
    eye_dist = float(np.linalg.norm(left - right))
    if eye_dist < 1e-3:
        return 0.0
    size = min(eye_dist / FULL_SIZE_EYE_PX, 1.0)
    # nose off the eyes' midpoint (in eye distances) grows with yaw; eye line tilt with roll
    mid = (left + right) / 2
    yaw = abs(float(np.dot(nose - mid, (left - right) / eye_dist))) / eye_dist
    frontal = float(np.clip(1.0 - 2.0 * yaw, 0.0, 1.0))
    return size * frontal


def sharpness_score(aligned_bgr: np.ndarray) -> float:
    gray = cv2.cvtColor(aligned_bgr, cv2.COLOR_BGR2GRAY)
    return float(min(cv2.Laplacian(gray, cv2.CV_32F).var() / FULL_SHARPNESS, 1.0))
