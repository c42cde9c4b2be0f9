"""Tracks -> per-interval floor grid: person-seconds per cell and the tracks that touched each cell.

A track's floor point is where its feet are: the bottom centre of the body box in person mode; in face mode, an
estimate below the face box (`heatmap.feet_below_face` box heights under its centre, default 7.4 for an upright
adult), which the homography then takes to the floor, so it holds for walkers of ordinary height and is off by the
height difference otherwise (a child's time lands nearer the camera).
Only frames a track is detected on count (face mode) or carried between person-detector runs (person mode, where
the box on those frames is the prediction the events use too); the frames a lost track is only predicted do not,
so a walker who has left adds no time in the cells beyond where they were last seen.

`tracks` of a cell counts each track once per cell, in the interval it first touched that cell: summed over any
range of intervals it is the number of distinct tracks that stood in the cell (the figure the cloud's k = 5 rule
needs), where a per-interval distinct count would count a lingering walker once per interval.
"""
from __future__ import annotations

from collections import defaultdict

from footfall.protocol import FloorGrid

from .settings import Heatmap

MAX_DT = 1.0  # a stall longer than this (camera gap) adds at most this much time, as the events stage does


def floor_point(box, w: int, h: int, person_mode: bool, feet_below_face: float) -> tuple[float, float]:
    """Normalised image point of the feet of a track's box (x1, y1, x2, y2 pixels); may lie below the image."""
    x1, y1, x2, y2 = (float(v) for v in box)
    if person_mode:
        return (x1 + x2) / 2 / w, y2 / h
    return (x1 + x2) / 2 / w, ((y1 + y2) / 2 + feet_below_face * (y2 - y1)) / h


class FloorAccumulator:
    def __init__(self, settings: Heatmap, person_mode: bool):
        self.map = settings.floor_map()
        self.person_mode = person_mode
        self.feet_below_face = settings.feet_below_face
        self.seconds: dict[int, float] = defaultdict(float)
        self.tracks: dict[int, int] = defaultdict(int)
        self.touched: dict[int, set[int]] = defaultdict(set)  # live track -> cells it has been counted in
        self.last_ts: float | None = None

    def update(self, live, ts: float, w: int, h: int) -> None:
        dt = 0.0 if self.last_ts is None else min(max(ts - self.last_ts, 0.0), MAX_DT)
        self.last_ts = ts
        for t in live:
            if not t.detected:
                continue
            fx, fy = self.map.to_floor([floor_point(t.box, w, h, self.person_mode, self.feet_below_face)])[0]
            cell = self.map.cell((fx, fy))
            if cell is None:
                continue
            self.seconds[cell] += dt
            if cell not in self.touched[t.id]:
                self.touched[t.id].add(cell)
                self.tracks[cell] += 1

    def forget(self, track_id: int) -> None:
        self.touched.pop(track_id, None)

    def take(self) -> FloorGrid:
        """The interval's grid (sparse: cells with time or a track), and a fresh one for the next interval."""
        cells = sorted(set(self.seconds) | set(self.tracks))
        grid = FloorGrid(grid=self.map.grid,
                         cells=[(c, round(self.seconds.get(c, 0.0), 2), self.tracks.get(c, 0)) for c in cells])
        self.seconds.clear()
        self.tracks.clear()
        return grid
