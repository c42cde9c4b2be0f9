"""Cheap motion detection (as Frigate does it) and the person detector's schedule built on it.

Motion: the frame is shrunk to a small grey image, blurred and compared with a running average of the previous
ones; pixels that changed by more than `threshold` grey levels, dilated into blobs, are motion. It costs about half
a millisecond a frame. The expensive person detector then runs only on frames where it can find someone: never on a
still, empty scene, and while people are tracked or something moves, on every `every`-th frame, the tracker's
prediction carrying the frames between.
"""
from __future__ import annotations

import cv2
import numpy as np

LIGHTING = 0.6  # more of the frame than this changing at once is light (a cloud, a door, auto exposure), not people


class MotionDetector:
    def __init__(self, height: int = 120, threshold: int = 20, min_area: int = 12, alpha: float = 0.1):
        self.height = height
        self.threshold = threshold
        self.min_area = min_area  # of a blob, in pixels of the small image
        self.alpha = alpha  # weight of the newest frame in the running average
        self._average: np.ndarray | None = None
        self._kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
        self.scale = 1.0  # small image pixels per frame pixel

    def __call__(self, image: np.ndarray) -> np.ndarray:
        """Boxes (K, 4) x1, y1, x2, y2 in frame pixels where something moved since the last frames."""
        h, w = image.shape[:2]
        self.scale = scale = self.height / h
        # bilinear sampling (as Frigate shrinks its motion frame): a tenth of INTER_AREA's cost at these ratios, and
        # the blur takes out what aliasing it leaves
        small = cv2.resize(image, (max(1, round(w * scale)), self.height), interpolation=cv2.INTER_LINEAR)
        grey = cv2.GaussianBlur(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY), (5, 5), 0).astype(np.float32)
        if self._average is None or self._average.shape != grey.shape:
            self._average = grey
            return np.zeros((0, 4), np.float32)
        diff = cv2.absdiff(grey, self._average)
        cv2.accumulateWeighted(grey, self._average, self.alpha)
        mask = (diff > self.threshold).astype(np.uint8)
        if mask.mean() > LIGHTING:
            self._average = grey  # start again from the new light
            return np.zeros((0, 4), np.float32)
        return self._blobs(cv2.dilate(mask, self._kernel, iterations=2))

    def _blobs(self, mask: np.ndarray) -> np.ndarray:
        n, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        blobs = stats[1:][stats[1:, cv2.CC_STAT_AREA] >= self.min_area]
        if len(blobs) == 0:
            return np.zeros((0, 4), np.float32)
        x, y, bw, bh = (blobs[:, i].astype(np.float32) for i in range(4))
        return (np.stack([x, y, x + bw, y + bh], axis=1) / self.scale).astype(np.float32)


class DetectSchedule:
    """When the person detector runs: on every `every`-th frame while anyone is tracked or, with `motion` gating on,
    while something moves; never on a still frame with nobody tracked (an empty entrance costs only the frame
    differencing). With `motion` off: every `every`-th frame, whatever is in view.

    (Running it early on motion that no tracked person explains, as Frigate runs its detector on motion regions,
    was tried: on opencv_vtest.avi walkers' motion trails and people too small to detect kept such motion in view
    almost always, so it ran every other frame for no better count.)
    """

    def __init__(self, every: int = 3, motion: bool = True):
        self.every = every
        self.motion = motion
        self.since = every  # frames since the detector last ran
        self.runs = 0
        self.frames = 0

    def decide(self, motion: np.ndarray | None, anyone: bool) -> bool:
        """motion: boxes from MotionDetector (None when motion gating is off); anyone: whether any person track,
        confirmed or not, is alive."""
        self.frames += 1
        self.since += 1
        run = self.since >= self.every and (not self.motion or motion is None or anyone or len(motion) > 0)
        if run:
            self.since = 0
            self.runs += 1
        return run


class RegionSchedule:
    """When the far-region passes run (face mode): on every `every`-th frame while something moves inside the
    regions, and at least once a `fallback`-th frame whatever. The frames between reuse the last pass's faces: a far
    face moves a pixel or two a frame, and one standing still stays where the last pass found it. The motion
    detector watches only the regions' bounding box, at more of its resolution than the whole frame would get."""

    def __init__(self, regions: tuple[tuple[float, float, float, float], ...], every: int, motion: bool = True,
                 fallback: int = 15):
        self.box = tuple(f(r[i] for r in regions) for i, f in enumerate((min, min, max, max))) if regions else None
        self.every, self.fallback = every, fallback
        self.motion = MotionDetector() if motion and regions else None
        self.since = fallback  # frames since the passes last ran: the first frame runs them

    def due(self, image: np.ndarray) -> bool:
        self.since += 1
        if self.box is None or self.since < self.every:
            return False
        if self.motion is not None and self.since < self.fallback:
            h, w = image.shape[:2]
            x0, y0, x1, y1 = self.box
            if not len(self.motion(image[int(y0 * h):int(y1 * h), int(x0 * w):int(x1 * w)])):
                return False
        self.since = 0
        return True
