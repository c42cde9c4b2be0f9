"""How much of each face the camera sees, from the plan: the face box against the heads and bodies of the people
drawn after it (nearer ones), with the shapes draw.draw_person uses."""
from __future__ import annotations

import numpy as np

GRID = 8  # face box sampled on GRID x GRID points


def person_shapes(x: float, y: float, fh: float, facing: str, aspect: float, W: int, H: int):
    """(head ellipse (cx, cy, ax, ay), body rectangles) in pixels."""
    cx, cy = x * W, y * H
    if facing == "front":  # the sprite's alpha: an ellipse around the face, raised to take in the hair
        head = (cx, cy - 0.12 * fh, 0.624 * aspect * fh, 0.92 * fh)
    else:
        head = (cx, cy, 0.62 * fh, 0.72 * fh)
    top = cy + 0.65 * fh
    body = [(cx - 1.25 * fh, top, cx + 1.25 * fh, cy + 3.6 * fh), (cx - fh, cy + 3.6 * fh, cx + fh, cy + 7.0 * fh),
            (cx - 1.6 * fh, top + 4, cx - 1.25 * fh, cy + 3.3 * fh), (cx + 1.25 * fh, top + 4, cx + 1.6 * fh, cy + 3.3 * fh),
            (cx - 0.25 * fh, cy + 0.4 * fh, cx + 0.25 * fh, top + 2)]
    return head, body


def face_box(x: float, y: float, fh: float, aspect: float, W: int, H: int) -> tuple[float, float, float, float]:
    """The face box a detector would find (x1, y1, x2, y2), pixels."""
    cx, cy, hw = x * W, y * H, 0.5 * aspect * fh
    return cx - hw, cy - 0.5 * fh, cx + hw, cy + 0.5 * fh


def visibility(people: list[tuple[float, float, float, str, float]], W: int, H: int) -> list[tuple[float, float]]:
    """people (x, y, face_h, facing, aspect) in drawing order, far first. For each: the share of its face box
    covered by the people drawn after it, and the share inside the image."""
    shapes = [person_shapes(*p, W, H) for p in people]
    u = (np.arange(GRID) + 0.5) / GRID
    out = []
    for i, (x, y, fh, _, aspect) in enumerate(people):
        x1, y1, x2, y2 = face_box(x, y, fh, aspect, W, H)
        px, py = np.meshgrid(x1 + u * (x2 - x1), y1 + u * (y2 - y1))
        covered = np.zeros(px.shape, bool)
        for (cx, cy, ax, ay), body in shapes[i + 1:]:
            covered |= ((px - cx) / ax) ** 2 + ((py - cy) / ay) ** 2 <= 1.0
            for bx1, by1, bx2, by2 in body:
                covered |= (px >= bx1) & (px <= bx2) & (py >= by1) & (py <= by2)
        inside = (px >= 0) & (px < W) & (py >= 0) & (py < H)
        out.append((float(covered.mean()), float(inside.mean())))
    return out
