"""edge.yaml `heatmap:`: the floor grid and the image -> floor correspondences (docs/heatmaps.md).

Each list is checked on its own (its YAML line in the error): points outside the image, three on one line, a
crossed quadrilateral; the two together (one floor point per image point, same winding) at the section's line.
"""
from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator, model_validator

from footfall.protocol.configfile import Strict
from footfall.protocol.contract import MAX_FLOOR_COLS, MAX_FLOOR_ROWS

from .floor import FloorMap, corners_problem, pairing_problem

# an adult of about 1.70 m: the face box's centre about 1.55 m above the floor, the box (brows to chin, as BlazeFace
# draws it) about 0.21 m tall
FEET_BELOW_FACE = 7.4

XY = tuple[float, float]


class Heatmap(Strict):
    """Person-seconds and distinct tracks per floor cell, per interval, sent with the counts."""

    enabled: bool = True
    grid: tuple[Annotated[int, Field(ge=1, le=MAX_FLOOR_COLS)], Annotated[int, Field(ge=1, le=MAX_FLOOR_ROWS)]] = Field(
        description="cols, rows of the store's floor grid (the same in every unit over one store)")
    floor_size: tuple[Annotated[float, Field(gt=0, le=500)], Annotated[float, Field(gt=0, le=500)]] = Field(
        description="width, depth of the store's floor in metres (plan coordinates: origin top-left, y down)")
    image_points: list[XY] = Field(min_length=4, max_length=8, description=(
        "normalised image points (0..1) on the floor, the first four the corners of an area in order (no three "
        "on a line); "
        "more than four are fitted by least squares and the error shows in `footfall-edge floor-map`"))
    floor_points: list[XY] = Field(min_length=4, max_length=8, description="where each image point lies on the plan, metres")
    feet_below_face: float = Field(default=FEET_BELOW_FACE, ge=2, le=12, description=(
        "face mode: from the face box's centre down to the feet, in face-box heights (an adult of 1.70 m: about "
        "7.4); person mode uses the body box's bottom"))

    @field_validator("image_points")
    @classmethod
    def _in_image(cls, points: list) -> list:
        for i, (x, y) in enumerate(points):
            if not (0 <= x <= 1 and 0 <= y <= 1):
                raise ValueError(f"point {i} ({x}, {y}) is outside the image: normalised coordinates are 0..1")
        if (problem := corners_problem(points)) is not None:
            raise ValueError(problem)
        return points

    @field_validator("floor_points")
    @classmethod
    def _spread_floor(cls, points: list) -> list:
        if (problem := corners_problem(points)) is not None:
            raise ValueError(problem)
        return points

    @model_validator(mode="after")
    def _mapping(self) -> "Heatmap":
        w, h = self.floor_size
        for i, (x, y) in enumerate(self.floor_points):
            if not (0 <= x <= w and 0 <= y <= h):
                raise ValueError(f"floor_points {i} ({x}, {y}) is off the floor (floor_size {w} x {h} m)")
        if (problem := pairing_problem(self.image_points, self.floor_points)) is not None:
            raise ValueError(problem)
        return self

    def floor_map(self) -> FloorMap:
        return FloorMap.fit(self.image_points, self.floor_points, self.floor_size, self.grid)
