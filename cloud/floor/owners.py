"""Which camera owns each floor cell, so two cameras over one store never add the same person twice.

A cell's figures come from one camera only: of the cameras whose `covers` polygon holds the cell's centre (every
camera, when it gives none), the one hanging nearest to it, which sees it largest and least occluded; ties go to the
camera listed first. The other cameras' figures for that cell are not stored. A cell no camera covers is not stored.
"""
from __future__ import annotations

import numpy as np

from .plan import FloorCamera, FloorPlan


def _inside(poly, x: float, y: float) -> bool:
    """Even-odd rule; a point on an edge counts (cells centred on a shared boundary stay owned)."""
    inside = False
    pts = list(poly)
    for (x1, y1), (x2, y2) in zip(pts, pts[1:] + pts[:1]):
        if (y1 > y) != (y2 > y):
            xc = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
            if abs(xc - x) < 1e-9:
                return True
            if xc > x:
                inside = not inside
    return inside


def covers(camera: FloorCamera, x: float, y: float) -> bool:
    return camera.covers is None or _inside(camera.covers, x, y)


_CACHE: dict[int, tuple[FloorPlan, dict[int, str]]] = {}  # plans live as long as the config: computed once each


def cell_owners(plan: FloorPlan) -> dict[int, str]:
    """cell index (row * cols + col) -> the device that owns it."""
    hit = _CACHE.get(id(plan))
    if hit is None or hit[0] is not plan:
        hit = _CACHE[id(plan)] = (plan, _owners(plan))
    return hit[1]


def _owners(plan: FloorPlan) -> dict[int, str]:
    cols, rows = plan.grid
    cw, ch = plan.size_m[0] / cols, plan.size_m[1] / rows
    out = {}
    for r in range(rows):
        for c in range(cols):
            x, y = (c + 0.5) * cw, (r + 0.5) * ch
            best = None
            for cam in plan.cameras:
                if covers(cam, x, y):
                    d = float(np.hypot(cam.position[0] - x, cam.position[1] - y))
                    if best is None or d < best[0]:
                        best = (d, cam.device)
            if best is not None:
                out[r * cols + c] = best[1]
    return out
