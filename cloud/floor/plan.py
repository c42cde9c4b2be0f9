"""cloud.yaml `stores[].floor`: the store's plan and where its cameras hang. Kept in its own module so the config
tree only gains one field."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator, model_validator

from footfall.protocol.configfile import Id, Strict
from footfall.protocol.contract import MAX_FLOOR_COLS, MAX_FLOOR_ROWS

XY = tuple[float, float]


class FloorCamera(Strict):
    """One edge unit over the store: its heatmap section must use this plan's grid and floor size."""

    device: Id
    position: XY = Field(description="where the camera hangs, projected onto the plan, metres")
    covers: list[XY] | None = Field(default=None, min_length=3, max_length=16, description=(
        "the floor the camera sees well, a polygon in plan metres (default: the whole floor); of the cameras "
        "covering a cell, the nearest owns it"))


class FloorPlan(Strict):
    image: Path | None = Field(default=None, description="plan drawing (PNG, JPEG or SVG) the heatmap is laid over")
    size_m: tuple[Annotated[float, Field(gt=0, le=500)], Annotated[float, Field(gt=0, le=500)]] = Field(
        description="width, depth in metres: the edge units' heatmap.floor_size")
    grid: tuple[Annotated[int, Field(ge=1, le=MAX_FLOOR_COLS)], Annotated[int, Field(ge=1, le=MAX_FLOOR_ROWS)]] = Field(
        description="cols, rows: the edge units' heatmap.grid")
    cameras: list[FloorCamera] = Field(min_length=1, max_length=16)

    @field_validator("image")
    @classmethod
    def _picture(cls, image: Path | None) -> Path | None:
        if image is not None and image.suffix.lower() not in (".png", ".jpg", ".jpeg", ".svg"):
            raise ValueError(f"{image}: a PNG, JPEG or SVG drawing")
        return image

    @model_validator(mode="after")
    def _on_plan(self) -> "FloorPlan":
        w, h = self.size_m
        devices = [c.device for c in self.cameras]
        if len(set(devices)) != len(devices):
            raise ValueError("cameras: each device once")
        for c in self.cameras:
            for x, y in [c.position, *(c.covers or [])]:
                if not (0 <= x <= w and 0 <= y <= h):
                    raise ValueError(f"cameras {c.device}: ({x}, {y}) is off the {w} x {h} m plan")
        return self
