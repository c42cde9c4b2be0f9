"""BlazeFace short / full range on LiteRT with our own anchor decoding and weighted NMS (as MediaPipe does it)."""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from footfall.edge.capture.frame import Frame
from footfall.edge.models import TfliteModel

from .detections import Detections


@dataclass(frozen=True)
class Variant:
    filename: str
    size: int
    strides: tuple[int, ...]
    anchors_per_layer: int  # layers with the same stride share one grid (MediaPipe's SSD anchor options)


VARIANTS = {
    "short_range": Variant("face_detection_short_range.tflite", 128, (8, 16, 16, 16), 2),
    "full_range": Variant("face_detection_full_range_sparse.tflite", 192, (4,), 1),
}


def ssd_anchors(v: Variant) -> np.ndarray:
    """Anchor centres (A, 2) in 0..1; fixed anchor size 1, offset 0.5."""
    centres = []
    i = 0
    while i < len(v.strides):
        stride = v.strides[i]
        repeats = 0
        while i < len(v.strides) and v.strides[i] == stride:
            repeats += v.anchors_per_layer
            i += 1
        grid = int(np.ceil(v.size / stride))
        ys, xs = np.mgrid[0:grid, 0:grid]
        cell = np.stack([(xs + 0.5) / grid, (ys + 0.5) / grid], axis=-1).reshape(-1, 2)
        centres.append(np.repeat(cell, repeats, axis=0))
    return np.concatenate(centres).astype(np.float32)


NMS_IOU = 0.3


def iou_one_to_many(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    x1 = np.maximum(box[0], boxes[:, 0])
    y1 = np.maximum(box[1], boxes[:, 1])
    x2 = np.minimum(box[2], boxes[:, 2])
    y2 = np.minimum(box[3], boxes[:, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return inter / np.maximum(area + areas - inter, 1e-9)


def weighted_nms(boxes: np.ndarray, scores: np.ndarray, keypoints: np.ndarray, iou: float = NMS_IOU):
    """MediaPipe's blending NMS: overlapping candidates are averaged by score, which steadies the boxes."""
    order = np.argsort(-scores)
    boxes, scores, keypoints = boxes[order], scores[order], keypoints[order]
    out_b, out_s, out_k = [], [], []
    remaining = np.arange(len(scores))
    while remaining.size:
        overlap = iou_one_to_many(boxes[remaining[0]], boxes[remaining]) > iou
        members = remaining[overlap]
        w = scores[members][:, None]
        out_b.append((boxes[members] * w).sum(0) / w.sum())
        out_k.append((keypoints[members] * w[:, :, None]).sum(0) / w.sum())
        out_s.append(scores[members[0]])
        remaining = remaining[~overlap]
    if not out_s:
        return boxes[:0], scores[:0], keypoints[:0]
    return np.array(out_b, np.float32), np.array(out_s, np.float32), np.array(out_k, np.float32)


def unseen_now(part: tuple[np.ndarray, np.ndarray, np.ndarray], boxes: np.ndarray):
    """A reused region pass's faces that this frame's whole-frame pass did not find: a face it finds again is taken
    from this frame, as the embedder's crops are (a face averaged with last frame's box made worse codes)."""
    if not len(boxes) or not len(part[1]):
        return part
    keep = np.array([iou_one_to_many(b, boxes).max() <= NMS_IOU for b in part[0]], bool)
    return part[0][keep], part[1][keep], part[2][keep]


def one_face_per_place(boxes: np.ndarray, scores: np.ndarray, keypoints: np.ndarray):
    """Boxes sorted strongest first. Two faces cannot lie on each other's centre: a weaker box that holds a stronger
    one's centre, or whose centre a stronger box holds, is the same face found again at another scale (a head and
    its hair, offset enough to pass NMS at IoU 0.3). Left in, it made a second track walking beside the first and
    counted the walker twice (docs/benchmarks.md, fourth round)."""
    centres = (boxes[:, :2] + boxes[:, 2:]) / 2
    inside = (centres[:, None, :] >= boxes[None, :, :2]).all(-1) & (centres[:, None, :] <= boxes[None, :, 2:]).all(-1)
    keep: list[int] = []
    for i in range(len(boxes)):
        if not any(inside[k, i] or inside[i, k] for k in keep):
            keep.append(i)
    return boxes[keep], scores[keep], keypoints[keep]


class BlazeFace:
    """Letterboxed input (keeps the aspect ratio, pads centred), as MediaPipe feeds the model."""

    def __init__(self, variant: str = "full_range", min_confidence: float = 0.6, min_face_px: int = 20, threads: int = 1):
        self.variant = VARIANTS[variant]
        self.model = TfliteModel(self.variant.filename, threads)
        self.anchors = ssd_anchors(self.variant)
        self.min_confidence = min_confidence
        self.min_face_px = min_face_px
        self.logit_threshold = float(np.log(min_confidence / (1 - min_confidence)))
        self._canvas = np.zeros((self.variant.size, self.variant.size, 3), np.float32)
        self._regions_last: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # the region passes' last faces

    @property
    def model_file(self) -> str:
        return self.variant.filename

    def _letterbox(self, image: np.ndarray) -> tuple[np.ndarray, float, float, float]:
        s = self.variant.size
        h, w = image.shape[:2]
        scale = s / max(h, w)
        nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
        ox, oy = (s - nw) // 2, (s - nh) // 2
        # bilinear to twice the target, then an exact 2:1 box filter: INTER_AREA's anti-aliasing (same faces found on
        # rendered scenes) at a quarter of its cost on a 720p frame, which matters at 15+ fps on one core. Larger
        # images (1080p, photos) are first halved with a Gaussian pyramid so the bilinear step never shrinks > 4x.
        while image.shape[1] > 8 * nw and image.shape[0] > 8 * nh:
            image = cv2.pyrDown(image)
        resized = cv2.resize(cv2.resize(image, (2 * nw, 2 * nh), interpolation=cv2.INTER_LINEAR), (nw, nh),
                             interpolation=cv2.INTER_AREA)
        rgb = cv2.cvtColor(resized, cv2.COLOR_BGR2RGB)
        canvas = self._canvas
        canvas.fill(0.0)  # 0 in [-1, 1] space is mid grey, as MediaPipe's zero border after normalisation
        canvas[oy:oy + nh, ox:ox + nw] = rgb * (2.0 / 255.0) - 1.0
        return canvas[None], scale, ox, oy

    def __call__(self, frame: Frame, regions: tuple[tuple[float, float, float, float], ...] = (),
                 reuse: bool = False) -> Detections:
        """Faces in the whole frame, plus a pass over each region (normalised x0, y0, x1, y1) at the region's own
        resolution: a far, small face that the whole-frame pass cannot resolve is large enough there. reuse: the
        regions' faces from their last pass, not a new one (motion.RegionSchedule says when); seen on every frame, a
        far face keeps being confirmed by the tracker, as it was not when the pass was only skipped."""
        image = frame.image
        h, w = image.shape[:2]
        parts = [self._candidates(image)]
        if regions and not reuse:
            self._regions_last = []
            for x0, y0, x1, y1 in regions:
                ox, oy = int(x0 * w), int(y0 * h)
                boxes, scores, kps = self._candidates(image[oy:int(y1 * h), ox:int(x1 * w)])
                offset = np.array([ox, oy], np.float32)
                self._regions_last.append(((boxes.reshape(-1, 2, 2) + offset).reshape(-1, 4), scores, kps + offset))
            parts += self._regions_last
        elif regions:
            parts += [unseen_now(part, parts[0][0]) for part in self._regions_last]
        boxes, scores, kps = (np.concatenate(p) for p in zip(*parts))
        if len(scores) == 0:
            return Detections.empty(frame)
        boxes, scores, kps = weighted_nms(boxes, scores, kps)
        boxes, scores, kps = one_face_per_place(boxes, scores, kps)
        boxes = np.clip(boxes, 0, [w, h, w, h]).astype(np.float32)
        big = np.minimum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]) >= self.min_face_px
        return Detections(frame, boxes[big], scores[big].astype(np.float32), kps[big].astype(np.float32))

    def _candidates(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every anchor over the threshold, in the image's pixels, before NMS."""
        tensor, scale, ox, oy = self._letterbox(image)
        raw_boxes, raw_scores = self.model.run(tensor)
        logits = raw_scores[0, :, 0]
        keep = np.nonzero(logits > self.logit_threshold)[0]
        s = float(self.variant.size)
        raw = raw_boxes[0, keep]
        centres = self.anchors[keep]
        cx = centres[:, 0] + raw[:, 0] / s
        cy = centres[:, 1] + raw[:, 1] / s
        bw, bh = raw[:, 2] / s, raw[:, 3] / s
        boxes = np.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], axis=1)
        kps = raw[:, 4:16].reshape(-1, 6, 2) / s + centres[:, None, :]
        scores = 1.0 / (1.0 + np.exp(-np.clip(logits[keep], -100, 100)))
        # back from letterboxed 0..1 to image pixels
        offset = np.array([ox, oy], np.float32)
        boxes = ((boxes.reshape(-1, 2, 2) * s - offset) / scale).reshape(-1, 4)
        kps = (kps * s - offset) / scale
        return boxes.astype(np.float32), scores.astype(np.float32), kps.astype(np.float32)
