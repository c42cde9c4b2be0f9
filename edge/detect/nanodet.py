"""NanoDet-g-416 (COCO, class 0 = person) on LiteRT: whole bodies, front and back views, for person mode.

Pre- and post-processing exactly as ../shared/models/PROVENANCE-person.md measured them: BGR NCHW input normalised
with the model's own mean and std, letterboxed to the top-left (padding at the mean, i.e. 0 after normalisation);
per stride, sigmoid class scores and 4 x 11-bin box distributions (legacy GFL head) decoded as softmax
expectations times the stride around the cell centre; greedy NMS at IoU 0.5.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from footfall.edge.capture.frame import Frame
from footfall.edge.models import TfliteModel

from .blazeface import iou_one_to_many
from .detections import People

MODEL_FILE = "nanodet_g_416_coco_dynint8.tflite"
SIZE = 416
STRIDES = (8, 16, 32)
REG_MAX = 10  # 11 bins per side
PERSON = 0
MEAN = np.array([103.53, 116.28, 123.675], np.float32)  # BGR
STD = np.array([57.375, 57.12, 58.395], np.float32)
# output tensors by name: class scores and box distributions per stride (the interpreter lists them in another order)
CLS_NAMES = ("Identity", "Identity_1", "Identity_2")
BOX_NAMES = ("Identity_3", "Identity_4", "Identity_5")


@dataclass(frozen=True)
class Letterbox:
    scale: float  # model pixels per image pixel
    width: int  # image size, for clipping
    height: int


def letterbox(image: np.ndarray, out: np.ndarray | None = None) -> tuple[np.ndarray, Letterbox]:
    """The model's input [1, 3, 416, 416] float32: aspect kept, image at the top-left, padded with the mean."""
    h, w = image.shape[:2]
    scale = SIZE / max(h, w)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    resized = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_LINEAR if scale > 0.5 else cv2.INTER_AREA)
    if out is None:
        out = np.empty((1, 3, SIZE, SIZE), np.float32)
    out.fill(0.0)  # the mean, after normalisation
    norm = (resized.astype(np.float32) - MEAN) / STD
    out[0, :, :nh, :nw] = norm.transpose(2, 0, 1)
    return out, Letterbox(scale, w, h)


def grid_centres(stride: int) -> np.ndarray:
    """(G*G, 2) cell centres in model pixels, cells row-major (idx -> x = idx % G, y = idx // G)."""
    g = SIZE // stride
    ys, xs = np.divmod(np.arange(g * g), g)
    return np.stack([(xs + 0.5) * stride, (ys + 0.5) * stride], axis=1).astype(np.float32)


_CENTRES = {s: grid_centres(s) for s in STRIDES}
_BINS = np.arange(REG_MAX + 1, dtype=np.float32)


def decode(scores: list[np.ndarray], boxes: list[np.ndarray], threshold: float, lb: Letterbox
           ) -> tuple[np.ndarray, np.ndarray]:
    """Person boxes (x1, y1, x2, y2 in image pixels) and scores over `threshold`, before NMS.

    scores[i]: [1, G*G, 80] sigmoid class scores for STRIDES[i]; boxes[i]: [1, G*G, 44] distributions (l, t, r, b)."""
    out_b, out_s = [], []
    for stride, cls, reg in zip(STRIDES, scores, boxes):
        s = cls[0, :, PERSON]
        keep = np.nonzero(s >= threshold)[0]
        if keep.size == 0:
            continue
        dist = reg[0, keep].reshape(-1, 4, REG_MAX + 1).astype(np.float32)
        dist = np.exp(dist - dist.max(axis=2, keepdims=True))
        dist /= dist.sum(axis=2, keepdims=True)
        ltrb = (dist @ _BINS) * stride  # (K, 4) distances from the cell centre
        c = _CENTRES[stride][keep]
        out_b.append(np.concatenate([c - ltrb[:, :2], c + ltrb[:, 2:]], axis=1))
        out_s.append(s[keep])
    if not out_s:
        return np.zeros((0, 4), np.float32), np.zeros(0, np.float32)
    b = np.concatenate(out_b) / lb.scale
    b = np.clip(b, 0, [lb.width, lb.height, lb.width, lb.height])
    return b.astype(np.float32), np.concatenate(out_s).astype(np.float32)


def nms(boxes: np.ndarray, scores: np.ndarray, iou: float = 0.5) -> np.ndarray:
    """Indices kept by greedy NMS, best score first."""
    order = np.argsort(-scores, kind="stable")
    keep = []
    while order.size:
        i = order[0]
        keep.append(i)
        order = order[1:][iou_one_to_many(boxes[i], boxes[order[1:]]) <= iou]
    return np.array(keep, np.int64)


class NanoDet:
    """Whole-body person detector. `__call__` runs it on the whole frame (letterboxed to 416)."""

    def __init__(self, min_confidence: float = 0.5, threads: int = 1, nms_iou: float = 0.5, min_height_px: int = 0):
        self.model = TfliteModel(MODEL_FILE, threads)
        names = [d["name"] for d in self.model.interpreter.get_output_details()]
        self._cls = [names.index(n) for n in CLS_NAMES]
        self._box = [names.index(n) for n in BOX_NAMES]
        self.min_confidence = min_confidence
        self.nms_iou = nms_iou
        self.min_height_px = min_height_px
        self._input = np.empty((1, 3, SIZE, SIZE), np.float32)

    @property
    def model_file(self) -> str:
        return MODEL_FILE

    def __call__(self, frame: Frame) -> People:
        tensor, lb = letterbox(frame.image, self._input)
        outputs = self.model.run(tensor)
        boxes, scores = decode([outputs[i] for i in self._cls], [outputs[i] for i in self._box], self.min_confidence, lb)
        if len(scores):
            keep = nms(boxes, scores, self.nms_iou)
            boxes, scores = boxes[keep], scores[keep]
            tall = boxes[:, 3] - boxes[:, 1] >= self.min_height_px
            boxes, scores = boxes[tall], scores[tall]
        return People(frame, boxes, scores)
