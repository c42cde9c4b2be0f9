"""Image -> floor mapping (a plane homography) and the floor's cell grid.

The installer gives four (up to eight) image points, normalised 0..1, and where they lie on the store's floor in
metres (plan coordinates: origin at the plan's top-left corner, x right, y down, as the plan image is drawn). Two
cameras over one store given points in the same plan coordinates put their cells on one grid, so the cloud can add
them up. Pure geometry: no config types here, so the config validators and the CLI share it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_TRIANGLE = 1e-3  # twice the area of any three points, as a share of their bounding box's area: below it, collinear


def signed_area(quad: np.ndarray) -> float:
    """Shoelace area of a polygon; the sign tells its winding (positive: clockwise with y down)."""
    x, y = quad[:, 0], quad[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))


def collinear_triple(points: np.ndarray) -> tuple[int, int, int] | None:
    """The first three points (indices) that lie on one line, or None."""
    n = len(points)
    span = np.ptp(points, axis=0)
    scale = max(float(span[0] * span[1]), float(max(span) ** 2) * 1e-3, 1e-12)
    for i in range(n):
        for j in range(i + 1, n):
            for k in range(j + 1, n):
                a, b, c = points[i], points[j], points[k]
                cross = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
                if abs(cross) / scale < MIN_TRIANGLE:
                    return i, j, k
    return None


def is_convex(quad: np.ndarray) -> bool:
    """The four corners, in their order, make a convex quadrilateral (no crossed sides)."""
    signs = []
    for i in range(len(quad)):
        a, b, c = quad[i], quad[(i + 1) % len(quad)], quad[(i + 2) % len(quad)]
        signs.append(np.sign((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])))
    return all(s > 0 for s in signs) or all(s < 0 for s in signs)


def corners_problem(points) -> str | None:
    """Why one list's first four points (the calibration quadrilateral; further points only refine the fit) make no
    mapping, or None: three on one line, or sides that cross (the homography would fold the floor)."""
    quad = np.asarray(points, np.float64)[:4]
    if (t := collinear_triple(quad)) is not None:
        return f"points {t[0]}, {t[1]} and {t[2]} lie on one line: spread four points over the floor"
    if not is_convex(quad):
        return "points 0-3 cross: give the four corners in order around the area (e.g. clockwise)"
    return None


def pairing_problem(image_points, floor_points) -> str | None:
    """Why the two lists together make no usable mapping (each list being fine on its own), or None."""
    img = np.asarray(image_points, np.float64)
    flo = np.asarray(floor_points, np.float64)
    if img.shape != flo.shape:
        return f"image_points has {len(img)} points and floor_points {len(flo)}: give one floor point per image point"
    if np.sign(signed_area(img[:4])) != np.sign(signed_area(flo[:4])):
        return ("the mapping is mirrored: floor_points go round the other way than image_points (both y down, "
                "both clockwise or both anticlockwise)")
    return None


@dataclass(frozen=True)
class FloorMap:
    """Normalised image point -> floor metres, and floor metres -> cell index on a cols x rows grid."""

    homography: np.ndarray  # 3x3, normalised image -> metres
    size: tuple[float, float]  # floor width, depth in metres
    grid: tuple[int, int]  # cols, rows
    w_sign: float = 1.0  # sign of the homogeneous w on the visible floor (that of the calibration points)

    @classmethod
    def fit(cls, image_points, floor_points, size, grid) -> "FloorMap":
        import cv2  # lazily: the config module imports this one, and `import footfall.edge.config` stays light

        img = np.asarray(image_points, np.float64)
        flo = np.asarray(floor_points, np.float64)
        if len(img) == 4:
            h = cv2.getPerspectiveTransform(img.astype(np.float32), flo.astype(np.float32)).astype(np.float64)
        else:  # more points than needed: least squares over all of them (method 0), so the error shows
            h, _ = cv2.findHomography(img, flo, 0)
        if h is None or not np.all(np.isfinite(h)):
            raise ValueError("the points give no homography")
        w_sign = float(np.sign(np.c_[img, np.ones(len(img))] @ h[2])[0]) or 1.0
        return cls(h, (float(size[0]), float(size[1])), (int(grid[0]), int(grid[1])), w_sign)

    def to_floor(self, points) -> np.ndarray:
        """Floor coordinates (metres) of normalised image points, shape (n, 2). Points beyond the horizon come out
        as NaN (the plane's image there is behind the camera)."""
        p = np.asarray(points, np.float64).reshape(-1, 2)
        q = np.c_[p, np.ones(len(p))] @ self.homography.T
        w = q[:, 2:3]
        return np.where(w * self.w_sign > 1e-9, q[:, :2] / np.where(w == 0, 1, w), np.nan)

    @property
    def cell_size(self) -> tuple[float, float]:
        return self.size[0] / self.grid[0], self.size[1] / self.grid[1]

    def cell(self, floor_xy) -> int | None:
        """Row-major cell index (row * cols + col) of a floor point, None off the floor."""
        x, y = floor_xy
        if not (0 <= x < self.size[0] and 0 <= y < self.size[1]):  # NaN fails both
            return None
        cw, ch = self.cell_size
        return int(y // ch) * self.grid[0] + int(x // cw)

    def errors(self, image_points, floor_points) -> list[float]:
        """Per point: metres between the given floor point and where the mapping puts its image point."""
        got = self.to_floor(image_points)
        return [float(np.hypot(*(g - np.asarray(f, np.float64)))) for g, f in zip(got, floor_points)]
