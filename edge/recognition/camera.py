"""Enrollment from the unit's own camera: the person stands in front of it; N good frames, a second apart."""
from __future__ import annotations

from footfall.edge.capture.sources import open_source
from footfall.edge.config import EdgeConfig

from .photos import PhotoEmbedder, PhotoResult

GAP_S = 1.0  # frames a second apart (frame time) vary pose and light a little: a sturdier template than a burst
MAX_S = 60.0  # of frames, then give up


def capture_faces(cfg: EdgeConfig, n: int, embedder: PhotoEmbedder) -> list[PhotoResult]:
    c = cfg.camera
    src = open_source(c.stream_source(), c.backend, width=c.width, height=c.height, fps=c.fps, name=c.display_source)
    out: list[PhotoResult] = []
    first = last = None
    try:
        for frame in src.frames():
            first = frame.ts if first is None else first
            if frame.ts - first > MAX_S or sum(r.vector is not None for r in out) >= n:
                break
            if last is not None and frame.ts - last < GAP_S:
                continue
            last = frame.ts
            out.append(embedder(frame.image, f"frame {frame.index}"))  # the frame itself is dropped here
    finally:
        src.close()
    return out
