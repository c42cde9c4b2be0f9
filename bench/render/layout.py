"""Where each kind of device looks: its counting line, zones and display, in normalised image coordinates."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Layout:
    role: str  # entrance | store | display
    line: tuple[str, float] | None  # (id, y): horizontal line; walking down the image crosses it `in`
    zone: tuple[str, float, float] | None  # (id, y_top, y_bottom): full-width band
    display: str | None = None
    far_y: float = 0.22  # where walkers appear (the door)
    near_y: float = 1.08  # face centre when a walker leaves the image at the bottom


def layout_for(device: str) -> Layout:
    if device.startswith("entrance"):
        return Layout("entrance", ("door", 0.5), None)
    if device.startswith("display"):
        return Layout("display", None, (f"{device}-aisle", 0.3, 0.9), display="screen")
    # the door line sits where faces are already large enough to detect (placement guide: >= 60 px)
    return Layout("store", (f"{device}-door", 0.45), (f"{device}-floor", 0.45, 1.0))


FAR_FACE_PX = 40  # below this at the far end, the whole frame letterboxed to 192 px loses faces (placement.py)


def edge_config(device: str, spec, video: str, secret: str, outbox: str) -> dict:
    """The edge.yaml a real unit at this spot would run with."""
    lay = layout_for(device)
    cfg: dict = {
        "site": spec.site, "device": device, "role": lay.role, "timezone": spec.timezone,
        "privacy": {"level": "site", "rotation": {"period": "daily", "hour": 4}},
        "site_secret": {"file": secret},
        "camera": {"source": video, "backend": "opencv", "width": spec.width, "height": spec.height, "fps": spec.fps},
        "detector": {"model": "full_range", "min_confidence": 0.6, "min_face_px": 20, "threads": 1},
        "outbox": {"dir": outbox},
    }
    if lay.role == "entrance" and spec.face_px[0] < FAR_FACE_PX:
        # faces at the door are smaller than the whole-frame pass resolves: detect around the door again, as an
        # installer would after `footfall-bench placement` (hardware/README.md)
        cfg["detector"]["far_regions"] = [[0.25, 0.08, 0.75, 0.5]]
    if lay.line:
        name, y = lay.line
        cfg["lines"] = [{"id": name, "a": [0.02, y], "b": [0.98, y]}]
    if lay.zone:
        name, y0, y1 = lay.zone
        cfg["zones"] = [{"id": name, "polygon": [[0.0, y0], [1.0, y0], [1.0, y1], [0.0, y1]]}]
    if lay.display:
        cfg["displays"] = [{"id": lay.display, "zone": lay.zone[0]}]
    return cfg
