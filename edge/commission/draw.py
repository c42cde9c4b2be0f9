"""The installer's overlay: lines with their `in` arrow, zones, faces with their size, tracks with their trail."""
from __future__ import annotations

import cv2
import numpy as np

LINE, ZONE, FACE, SMALL, TRACK = (0, 220, 255), (255, 160, 0), (80, 220, 80), (60, 60, 255), (255, 255, 255)


def in_normal(a, b) -> np.ndarray:
    """Unit normal pointing to the `in` side: the right-hand side of a->b in image coordinates (y down)."""
    d = np.asarray(b, float) - np.asarray(a, float)
    n = np.array([-d[1], d[0]])
    return n / (np.hypot(*n) + 1e-9)


def describe_line(line) -> str:
    """A line in words an installer can check against the image (image y points down)."""
    nx, ny = in_normal(line.a, line.b)
    towards = ("the bottom" if ny > 0 else "the top") if abs(ny) >= abs(nx) else ("the right" if nx > 0 else "the left")
    (ax, ay), (bx, by) = line.a, line.b
    return f"from ({ax:.3f}, {ay:.3f}) to ({bx:.3f}, {by:.3f}); `in` is walking towards {towards} of the image"


def overlay(image: np.ndarray, lines, zones, faces, trails, min_face_px: int, counts: dict) -> np.ndarray:
    """lines: config Lines; zones: config Zones; faces: (box, track id or None); trails: track id -> centres (px)."""
    out = image.copy()
    h, w = out.shape[:2]
    px = lambda p: (int(round(p[0] * w)), int(round(p[1] * h)))  # noqa: E731
    thick = max(2, w // 400)
    for z in zones:
        pts = np.array([px(p) for p in z.polygon], np.int32)
        cv2.polylines(out, [pts], True, ZONE, thick)
        cv2.putText(out, z.id, tuple(pts[0] + [6, 22]), cv2.FONT_HERSHEY_SIMPLEX, 0.7, ZONE, 2)
    for line in lines:
        a, b = px(line.a), px(line.b)
        cv2.line(out, a, b, LINE, thick + 1)
        mid = ((a[0] + b[0]) // 2, (a[1] + b[1]) // 2)
        tip = tuple(int(v) for v in np.asarray(mid) + in_normal(line.a, line.b) * [h * 0.12, h * 0.12])
        cv2.arrowedLine(out, mid, tip, LINE, thick + 1, tipLength=0.3)
        cv2.putText(out, "in", (tip[0] + 8, tip[1] + 8), cv2.FONT_HERSHEY_SIMPLEX, 1.0, LINE, 2)
        c = counts.get(line.id, {"in": 0, "out": 0})
        left = min(a, b)  # the label starts at the left end, so it stays inside the image
        cv2.putText(out, f"{line.id}: in {c['in']}  out {c['out']}", (left[0] + 8, left[1] - 12),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.8, LINE, 2)
    for box, track in faces:
        x1, y1, x2, y2 = (int(v) for v in box)
        size = y2 - y1
        colour = FACE if size >= min_face_px else SMALL
        cv2.rectangle(out, (x1, y1), (x2, y2), colour, thick)
        label = f"{size}px" + (f" #{track}" if track is not None else "")
        cv2.putText(out, label, (x1, max(y1 - 6, 14)), cv2.FONT_HERSHEY_SIMPLEX, 0.6, colour, 2)
    for track, centres in trails.items():
        if len(centres) > 1:
            cv2.polylines(out, [np.array(centres, np.int32)], False, TRACK, max(1, thick - 1))
            cv2.putText(out, f"#{track}", (centres[-1][0] + 6, centres[-1][1]), cv2.FONT_HERSHEY_SIMPLEX, 0.6, TRACK, 2)
    return out
