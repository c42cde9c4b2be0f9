"""Scene spec: what to render. Load from YAML (`--spec`) and/or override with CLI options; same seed, same scene."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import AwareDatetime, Field, model_validator

from footfall.protocol.configfile import Id, Strict, TimeZone, load_config

# Crowd presets fill the keys a spec does not give (docs/scenes.md). `dense` is at least as hard as a busy real
# entrance: 30 entries a minute, up to 4 in view, groups, tailgaters hidden behind the person in front, stop-and-go,
# hesitations on the line, heads turned away, 22 px faces at the far end, and people leaving while others come in.
CROWD_PRESETS: dict[str, dict[str, Any]] = {
    "none": {},
    "light": {"entries_per_min": 12.0, "max_in_view": 2, "group_prob": 0.15, "tailgate_prob": 0.1, "pause_prob": 0.1,
              "hesitate_prob": 0.05, "turn_prob": 0.15, "walk_s": (3.0, 6.0), "face_px": (32, 150)},
    "dense": {"entries_per_min": 30.0, "max_in_view": 4, "group_prob": 0.25, "group_size": (2, 3),
              "tailgate_prob": 0.6, "pause_prob": 0.2, "pause_s": (0.5, 2.0), "hesitate_prob": 0.12,
              "turn_prob": 0.3, "turn_s": (0.8, 2.0), "walk_s": (2.5, 7.0), "face_px": (22, 150),
              "visitors": None, "return_fraction": 0.8, "max_trips": 4, "away_s": (2.0, 10.0),
              "store_visit_prob": 0.25, "display_pass_prob": 0.3, "dwell_s": (4.0, 10.0), "duration_s": 90.0},
}
# `hard`: harder than the goals' scenes, to see what holds beyond them: up to 6 in view, groups of 4, twice the
# hesitations on the line, more stop-and-go
CROWD_PRESETS["hard"] = {**CROWD_PRESETS["dense"], "entries_per_min": 40.0, "max_in_view": 6, "group_size": (2, 4),
                         "hesitate_prob": 0.25, "pause_prob": 0.3}
# keys only the crowd planner (entries_per_min set) understands, with the value that means "off"
CROWD_KEYS = {"max_in_view": None, "group_prob": 0.0, "tailgate_prob": 0.0, "pause_prob": 0.0, "hesitate_prob": 0.0,
              "turn_prob": 0.0}

Range = tuple[float, float]


class SceneSpec(Strict):
    seed: int = 1
    site: Id = "mall-demo"
    timezone: TimeZone = "Europe/Berlin"
    start: AwareDatetime = datetime.fromisoformat("2026-11-20T10:00:00+01:00")
    duration_s: float = Field(default=180.0, ge=20, le=3600)
    fps: float = Field(default=15.0, ge=5, le=30)
    width: int = Field(default=1280, ge=320, le=1920)
    height: int = Field(default=720, ge=240, le=1080)
    visitors: int | None = Field(default=10, ge=1, le=200, description="distinct identities; null: every usable one")
    return_fraction: float = Field(default=0.3, ge=0, le=1, description="share of visitors who come back later with another photo")
    store_visit_prob: float = Field(default=0.7, ge=0, le=1)
    display_pass_prob: float = Field(default=0.8, ge=0, le=1)
    look_prob: float = Field(default=0.6, ge=0, le=1, description="share of display passers-by who look at it")
    walk_s: Range = (3.5, 5.0)
    dwell_s: Range = (8.0, 25.0)
    face_px: tuple[int, int] = Field(default=(48, 150), description="face height far from / near the camera")
    min_gap_s: float = Field(default=1.5, ge=0, description="minimum time between two walkers on the same path")
    blur: float = Field(default=0.6, ge=0, le=5, description="max Gaussian blur sigma applied to faces")
    lighting: Range = ((0.75, 1.15))
    noise: float = Field(default=3.0, ge=0, le=30, description="sensor noise sigma (grey levels)")
    devices: list[Id] = ["entrance", "store-a", "store-b", "display"]
    # floor heatmap checks (docs/heatmaps.md): store walkers follow one known path
    aisle: float | None = Field(default=None, ge=0.1, le=0.9, description=(
        "store visits walk straight down one aisle at this image x to aisle_stop_y, stand there for dwell_s facing "
        "the camera, and walk back out the same way (classic planner only)"))
    aisle_stop_y: float = Field(default=0.45, ge=0.3, le=0.9, description="where aisle walkers stand (face centre)")
    # crowds (docs/scenes.md "Crowds"): all off unless entries_per_min (or a preset) is given
    crowd: Literal["none", "light", "dense", "hard"] = Field(default="none", description="preset for the keys below")
    entries_per_min: float | None = Field(default=None, gt=0, le=120, description="people walking in per minute (entrance)")
    max_in_view: int | None = Field(default=None, ge=1, le=12, description="most people in one device's view at once")
    max_trips: int = Field(default=2, ge=1, le=8, description="trips per visitor, each with another photo (crowd planner)")
    away_s: Range = Field(default=(3.0, 8.0), description="seconds off camera between two devices (crowd planner)")
    group_prob: float = Field(default=0.0, ge=0, le=1, description="share of arrivals that are groups walking abreast")
    group_size: tuple[int, int] = (2, 3)
    tailgate_prob: float = Field(default=0.0, ge=0, le=1, description="share of arrivals right behind someone (hidden)")
    pause_prob: float = Field(default=0.0, ge=0, le=1, description="share of walks with a stop mid-walk")
    pause_s: Range = (0.5, 2.0)
    hesitate_prob: float = Field(default=0.0, ge=0, le=1, description="share of solo arrivals that hesitate on a door line")
    turn_prob: float = Field(default=0.0, ge=0, le=1, description="share of walks in with the head turned away for a while")
    turn_s: Range = (0.8, 2.0)

    @model_validator(mode="before")
    @classmethod
    def _preset(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("crowd") in CROWD_PRESETS:
            data = {**CROWD_PRESETS[data["crowd"]], **data}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> "SceneSpec":
        for name in ("walk_s", "dwell_s", "face_px", "lighting", "away_s", "group_size", "pause_s", "turn_s"):
            lo, hi = getattr(self, name)
            if lo > hi or lo < 0:
                raise ValueError(f"{name}: expected [low, high] with 0 <= low <= high")
        if self.face_px[0] < 12:
            raise ValueError("face_px: faces smaller than 12 px at the far end are not faces any more")
        if self.walk_s[0] < 1.0:
            raise ValueError("walk_s: at least 1 s to walk through a view")
        if self.group_size[0] < 2 or self.group_size[1] > 4:
            raise ValueError("group_size: groups of 2 to 4")
        if self.aisle is not None and self.entries_per_min is not None:
            raise ValueError("aisle: fixed paths are for the classic planner, not crowds")
        if self.entries_per_min is None:
            on = [k for k, off in CROWD_KEYS.items() if getattr(self, k) != off]
            if on:
                raise ValueError(f"{', '.join(on)}: crowd options need entries_per_min (or crowd: light / dense)")
        return self

    @property
    def crowded(self) -> bool:
        return self.entries_per_min is not None


def load_spec(path: str | Path | None, **overrides) -> SceneSpec:
    """The spec file's keys, then the command line's; a `crowd` preset fills only the keys neither gives."""
    base: dict = {}
    if path:
        load_config(path, SceneSpec)  # validates, with FILE:LINE in the errors
        base = yaml.safe_load(Path(path).read_text())
    base.update({k: v for k, v in overrides.items() if v is not None})
    return SceneSpec.model_validate(base)
