"""Enrollment from the unit's own camera: the person stands in front of it; N good frames, a second apart."""
from __future__ import annotations

import time

from footfall.edge.capture.sources import open_source
from footfall.edge.config import EdgeConfig

from .photos import PhotoEmbedder, PhotoResult

GAP_S = 1.0  # frames a second apart vary pose and light a little: a sturdier template than a burst
MAX_S = 60.0


def capture_faces(cfg: EdgeConfig, n: int, embedder: PhotoEmbedder) -> list[PhotoResult]:
    c = cfg.camera
    src = open_source(c.stream_source(), c.backend, width=c.width, height=c.height, fps=c.fps, name=c.display_source)
    out: list[PhotoResult] = []
    started = last = time.monotonic()
    try:
        for frame in src.frames():
            now = time.monotonic()
            if now - started > MAX_S or sum(r.vector is not None for r in out) >= n:
                break
            if now - last < GAP_S and out:
                continue
            last = now
            out.append(embedder(frame.image, f"frame {frame.index}"))  # the frame itself is dropped here
    finally:
        src.close()
    return out
