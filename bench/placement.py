"""Placement calculator: from mounting height, tilt, lens and resolution, the face size in pixels along a walking
path, and whether detection (BlazeFace short / full range) and embedding (SFace) will work there.

Model: pinhole camera at height H, tilted down by `tilt` degrees, faces at `face_height` m (eye level of an adult)
and `face_size` m tall (BlazeFace's box: brow to chin). For a face at horizontal distance d along the optical axis'
ground direction: line of sight alpha = atan((H - face_height) / d) below horizontal, angle from the optical axis
phi = alpha - tilt, depth along the axis Z = r cos(phi) with r the straight distance, face height in pixels
f_y * face_size / Z where f_y = (rows / 2) / tan(vfov / 2). The frame is letterboxed into the detector's square
input (192 px full range, 128 short range), which shrinks faces by input / max(columns, rows).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

FULL_RANGE_INPUT, SHORT_RANGE_INPUT = 192, 128
MIN_INPUT_PX = {"full_range": 8.0, "short_range": 16.0}  # smallest face, in model input pixels, found reliably
SHORT_RANGE_MAX_M = 2.0  # the short-range model was trained on faces within ~2 m
MAX_DETECT_PITCH = 45.0  # looking down on a face steeper than this hides it
MAX_EMBED_PITCH = 25.0  # alignment and identity need a near-frontal face
MIN_EMBED_PX = 64.0  # frame pixels; the quality gate reaches full marks near 100 px


@dataclass(frozen=True)
class Camera:
    height_m: float
    tilt_deg: float
    hfov_deg: float
    vfov_deg: float
    columns: int
    rows: int
    face_height_m: float = 1.6
    face_size_m: float = 0.2

    @property
    def f_y(self) -> float:
        return (self.rows / 2) / math.tan(math.radians(self.vfov_deg) / 2)


@dataclass(frozen=True)
class Spot:
    distance_m: float
    in_view: bool
    image_y: float  # pixel row of the face centre
    face_px: float
    pitch_deg: float  # how steeply the camera looks down on the face
    full_range: bool
    short_range: bool
    embedding: bool


def spot(cam: Camera, d: float) -> Spot:
    drop = cam.height_m - cam.face_height_m
    alpha = math.degrees(math.atan2(drop, d))
    phi = math.radians(alpha - cam.tilt_deg)
    r = math.hypot(d, drop)
    depth = r * math.cos(phi)
    face_px = cam.f_y * cam.face_size_m / depth if depth > 0 else 0.0
    y = cam.rows / 2 + cam.f_y * math.tan(phi)
    in_view = abs(math.degrees(phi)) <= cam.vfov_deg / 2 and depth > 0
    scale_full = FULL_RANGE_INPUT / max(cam.columns, cam.rows)
    scale_short = SHORT_RANGE_INPUT / max(cam.columns, cam.rows)
    pitch_ok = abs(alpha) <= MAX_DETECT_PITCH
    full = in_view and pitch_ok and face_px * scale_full >= MIN_INPUT_PX["full_range"]
    short = in_view and pitch_ok and r <= SHORT_RANGE_MAX_M and face_px * scale_short >= MIN_INPUT_PX["short_range"]
    embed = (full or short) and face_px >= MIN_EMBED_PX and abs(alpha) <= MAX_EMBED_PITCH
    return Spot(round(d, 3), in_view, round(y, 1), round(face_px, 1), round(alpha, 1), full, short, embed)


def path(cam: Camera, start_m: float, end_m: float, step_m: float) -> list[Spot]:
    n = int(round((end_m - start_m) / step_m))
    return [spot(cam, start_m + i * step_m) for i in range(n + 1)]


def summary(spots: list[Spot]) -> dict:
    def span(flag: str):
        ds = [s.distance_m for s in spots if getattr(s, flag)]
        return [min(ds), max(ds)] if ds else None

    best = "full_range" if span("full_range") and (not span("short_range") or
                                                   (span("full_range")[1] - span("full_range")[0]) >=
                                                   (span("short_range")[1] - span("short_range")[0])) else "short_range"
    return {"in_view_m": span("in_view"), "full_range_m": span("full_range"), "short_range_m": span("short_range"),
            "embedding_m": span("embedding"), "recommended_detector": best if span(best) else None,
            "spots": [asdict(s) for s in spots]}
