"""Scene spec: what to render. Load from YAML (`--spec`) and/or override with CLI options; same seed, same scene."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from pydantic import AwareDatetime, Field

from footfall.protocol.configfile import Id, Strict, TimeZone, load_config


class SceneSpec(Strict):
    seed: int = 1
    site: Id = "mall-demo"
    timezone: TimeZone = "Europe/Berlin"
    start: AwareDatetime = datetime.fromisoformat("2026-11-20T10:00:00+01:00")
    duration_s: float = Field(default=180.0, ge=20, le=3600)
    fps: float = Field(default=15.0, ge=5, le=30)
    width: int = Field(default=1280, ge=320, le=1920)
    height: int = Field(default=720, ge=240, le=1080)
    visitors: int = Field(default=10, ge=1, le=200)
    return_fraction: float = Field(default=0.3, ge=0, le=1, description="share of visitors who come back later with another photo")
    store_visit_prob: float = Field(default=0.7, ge=0, le=1)
    display_pass_prob: float = Field(default=0.8, ge=0, le=1)
    look_prob: float = Field(default=0.6, ge=0, le=1, description="share of display passers-by who look at it")
    walk_s: tuple[float, float] = (3.5, 5.0)
    dwell_s: tuple[float, float] = (8.0, 25.0)
    face_px: tuple[int, int] = Field(default=(48, 150), description="face height far from / near the camera")
    min_gap_s: float = Field(default=1.5, ge=0, description="minimum time between two walkers on the same path")
    blur: float = Field(default=0.6, ge=0, le=5, description="max Gaussian blur sigma applied to faces")
    lighting: tuple[float, float] = ((0.75, 1.15))
    noise: float = Field(default=3.0, ge=0, le=30, description="sensor noise sigma (grey levels)")
    devices: list[Id] = ["entrance", "store-a", "store-b", "display"]


def load_spec(path: str | Path | None, **overrides) -> SceneSpec:
    base = load_config(path, SceneSpec).model_dump() if path else {}
    base.update({k: v for k, v in overrides.items() if v is not None})
    return SceneSpec.model_validate(base)
