"""What `footfall-edge floor-map` prints: the fitted mapping, each point's reprojection error, the grid, and where
the image's corners and bottom-centre land on the floor (a wrong point shows as a corner flung far off the plan)."""
from __future__ import annotations

import numpy as np

from .settings import Heatmap

PROBES = {"top-left": (0.0, 0.0), "top-right": (1.0, 0.0), "bottom-right": (1.0, 1.0), "bottom-left": (0.0, 1.0),
          "bottom-centre": (0.5, 1.0)}


def describe(hm: Heatmap) -> dict:
    fm = hm.floor_map()
    errors = fm.errors(hm.image_points, hm.floor_points)
    probes = {}
    for name, p in PROBES.items():
        x, y = fm.to_floor([p])[0]
        probes[name] = None if np.isnan(x) else [round(float(x), 2), round(float(y), 2)]
    return {
        "homography": [[round(float(v), 6) for v in row] for row in fm.homography],
        "points": [{"image": list(i), "floor": list(f), "error_m": round(e, 3)}
                   for i, f, e in zip(hm.image_points, hm.floor_points, errors)],
        "max_error_m": round(max(errors), 3),
        "grid": list(fm.grid), "floor_size_m": list(fm.size),
        "cell_m": [round(v, 3) for v in fm.cell_size],
        "image_on_floor": probes,  # None: that corner sees above the horizon
    }
