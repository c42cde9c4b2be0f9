"""The unit's pipeline run for the installer: what it sees, detects, tracks and counts, frame by frame.

It runs the same EdgePipeline as the service (so what the installer sees counted is what the unit will count) and
publishes nothing. The latest frame is kept only as an in-memory JPEG with the overlay drawn on it.
"""
from __future__ import annotations

import statistics
import threading
import time
from collections import deque
from pathlib import Path

import cv2
import yaml

from footfall.edge.capture import reference
from footfall.edge.capture.frame import Frame
from footfall.edge.config import EdgeConfig
from footfall.edge.events.geometry import CountingLine
from footfall.edge.pipeline import EdgePipeline

from .draw import overlay

AT_LINE = 0.05  # a face this close to a line (normalised image distance) is "at the line" for the size figures
EMBED_MIN_PX = 64  # face height the embedder needs for a usable code (placement guide, bench/placement.py)
EMBED_FULL_PX = 100  # where the quality gate gives full marks for size (embed/quality.py: 40 px between the eyes)
PREVIEW_WIDTH = 960
PREVIEW_EVERY_S = 0.1  # encode at most 10 previews a second: the counting loop comes first


class _Watch:
    """Stands in for one of the pipeline's trackers: every call passes through; the last update's input and output
    are kept for the overlay."""

    def __init__(self, inner):
        self._inner = inner
        self.args: tuple = ()
        self.tracks = None

    def update(self, *args, **kwargs):
        self.args = args
        self.tracks = self._inner.update(*args, **kwargs)
        return self.tracks

    def __getattr__(self, name):
        return getattr(self._inner, name)


class LiveView:
    def __init__(self, cfg: EdgeConfig, secret: bytes | None, fast: bool = False):
        self.cfg = cfg
        self.fast = fast  # file sources: as fast as possible instead of at their own pace (tests, demos)
        self.pipeline = EdgePipeline(cfg, secret)
        self.faces = self.pipeline.tracker = _Watch(self.pipeline.tracker)
        self.bodies = None
        if self.pipeline.person_mode:
            self.bodies = self.pipeline.bodies = _Watch(self.pipeline.bodies)
        self.lock = threading.Lock()
        self.new_preview = threading.Condition()
        self.preview: bytes | None = None
        self.preview_seq = 0
        self._last_preview = 0.0
        self.stop = threading.Event()
        self.state = "starting"
        self.frames = 0
        self._fps_window: deque[float] = deque(maxlen=30)
        self.closed: dict[str, list[int]] = {}  # line -> [in, out] of the intervals already closed
        self.face_px: dict[str, deque[int]] = {}
        self.trails: dict[int, deque] = {}
        self.background = reference.Background()
        self._last_frame: Frame | None = None
        self.thread = threading.Thread(target=self._run, name="commission-view", daemon=True)

    # --- the loop -------------------------------------------------------------------------------------------

    def start(self) -> "LiveView":
        self.thread.start()
        return self

    def _frames(self):
        from footfall.edge.app import file_start_ts, paced
        from footfall.edge.capture.sources import open_source

        cam = self.cfg.camera
        is_file = Path(cam.source).is_file()
        src = open_source(cam.stream_source(), cam.backend, width=cam.width, height=cam.height, fps=cam.fps,
                          start_ts=file_start_ts(cam.source) if is_file else None, name=cam.display_source)
        frames = src.frames()
        return src, paced(frames, self.stop) if is_file and not self.fast else frames

    def _run(self) -> None:
        last = None
        try:
            src, frames = self._frames()
            self.state = "running"
            for frame in frames:
                self._step(frame)
                last = frame
                if self.stop.is_set():
                    break
            src.close()
            if last is not None:  # finish the tracks still open, as `replay` does
                with self.lock:
                    self._take(self.pipeline.close(last))
                    self.trails.clear()
            self.state = "stopped" if self.stop.is_set() else "ended"
            self._redraw()
        except Exception as e:  # noqa: BLE001 - shown to the installer, naming the field
            self.state = f"error: camera.source {self.cfg.camera.display_source}: {e}"
        with self.new_preview:
            self.new_preview.notify_all()

    def _take(self, messages) -> None:
        for m in messages:
            if m.kind == "counts":
                for c in m.lines:
                    acc = self.closed.setdefault(c.line, [0, 0])
                    acc[0] += c.in_
                    acc[1] += c.out

    def _redraw(self) -> None:
        """The last frame again with the current geometry and counts (a source that ended or stalled)."""
        if self._last_frame is not None:
            self._draw(self._last_frame)

    def _step(self, frame: Frame) -> None:
        self._last_frame = frame  # memory only, for _redraw
        with self.lock:
            self._take(self.pipeline.process(frame))
            self.frames += 1
            self._fps_window.append(time.monotonic())
            self.background.add(frame.image)
            self._measure(frame)
        now = time.monotonic()
        if now - self._last_preview >= PREVIEW_EVERY_S:
            self._last_preview = now
            self._draw(frame)

    def _measure(self, frame: Frame) -> None:
        """Face heights near each line, and the trail of every live track."""
        w, h = frame.size
        lines = self.pipeline.events.lines
        detections = self.faces.args[0] if self.faces.args else None
        if detections is not None:
            for x1, y1, x2, y2 in detections.boxes:
                p = ((x1 + x2) / 2 / w, (y1 + y2) / 2 / h)
                for line in lines:
                    if abs(line.signed_distance(p)) <= AT_LINE and line.within_extent(p):
                        self.face_px.setdefault(line.id, deque(maxlen=200)).append(int(round(y2 - y1)))
        tracks = (self.bodies or self.faces).tracks
        if tracks is not None:
            for t in tracks.live:
                self.trails.setdefault(t.id, deque(maxlen=40)).append(tuple(int(v) for v in t.centre))
            for ft in tracks.finished:
                self.trails.pop(ft.id, None)

    def _draw(self, frame: Frame) -> None:
        with self.lock:
            detections = self.faces.args[0] if self.faces.args else None
            faces = [(b, None) for b in detections.boxes] if detections is not None else []
            if self.bodies is not None and self.bodies.tracks is not None:
                faces += [(t.box, t.id) for t in self.bodies.tracks.live]
            image = overlay(frame.image, self.cfg.lines, self.cfg.zones, faces,
                            {k: list(v) for k, v in self.trails.items()}, self.cfg.detector.min_face_px, self.counts())
        h, w = image.shape[:2]
        if w > PREVIEW_WIDTH:
            image = cv2.resize(image, (PREVIEW_WIDTH, round(h * PREVIEW_WIDTH / w)), interpolation=cv2.INTER_AREA)
        ok, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 75])  # in memory only
        if ok:
            with self.new_preview:
                self.preview, self.preview_seq = jpeg.tobytes(), self.preview_seq + 1
                self.new_preview.notify_all()

    # --- what the page and the acceptance test read ---------------------------------------------------------

    def counts(self) -> dict[str, dict[str, int]]:
        """Per line since the start (or the last geometry change): closed intervals plus the open one."""
        current = self.pipeline.events.current
        out = {}
        for line in self.cfg.lines:
            closed = self.closed.get(line.id, [0, 0])
            now = current.lines.get(line.id, [0, 0]) if current is not None else [0, 0]
            out[line.id] = {"in": closed[0] + now[0], "out": closed[1] + now[1]}
        return out

    def crossings(self) -> int:
        with self.lock:
            return sum(c["in"] + c["out"] for c in self.counts().values())

    def fps(self) -> float:
        w = self._fps_window
        return round((len(w) - 1) / (w[-1] - w[0]), 1) if len(w) > 1 and w[-1] > w[0] else 0.0

    def face_sizes(self) -> dict[str, dict]:
        d = self.cfg.detector
        out = {}
        for line in self.cfg.lines:
            sizes = list(self.face_px.get(line.id, ()))
            out[line.id] = {"faces": len(sizes), "min_px": min(sizes, default=None),
                            "median_px": round(statistics.median(sizes)) if sizes else None,
                            "max_px": max(sizes, default=None)}
        out["_needed"] = {"detector_min_face_px": d.min_face_px, "embedder_min_px": EMBED_MIN_PX,
                          "embedder_full_px": EMBED_FULL_PX}
        return out

    def status(self) -> dict:
        with self.lock:
            return {"unit": f"{self.cfg.site}/{self.cfg.device}", "state": self.state, "frames": self.frames, "fps": self.fps(),
                    "stage_ms": self.pipeline.times.mean_ms(), "counts": self.counts(),
                    "face_sizes": self.face_sizes(), "lines": [line.model_dump(mode="json") for line in self.cfg.lines],
                    "zones": [z.model_dump(mode="json") for z in self.cfg.zones], "snippet": self.snippet()}

    def snippet(self) -> str:
        """What goes into the unit's host_vars (ansible/inventories/<site>/host_vars/<host>/main.yml)."""
        body = {"footfall_lines": [{"id": line.id, "a": [round(v, 3) for v in line.a], "b": [round(v, 3) for v in line.b]}
                                   for line in self.cfg.lines]}
        if self.cfg.zones:
            body["footfall_zones"] = [{"id": z.id, "polygon": [[round(v, 3) for v in p] for p in z.polygon]}
                                      for z in self.cfg.zones]
        return yaml.safe_dump(body, default_flow_style=None, sort_keys=False)

    # --- what the installer changes -------------------------------------------------------------------------

    def set_lines(self, lines: list[dict]) -> None:
        """New counting lines, validated as the config is (a bad one raises naming the field); counts start over."""
        cfg = EdgeConfig.model_validate({**self.cfg.model_dump(), "lines": lines})
        with self.lock:
            self.cfg = cfg
            ev = self.pipeline.events
            ev.lines = [CountingLine(line.id, line.a, line.b) for line in cfg.lines]
            if ev.current is not None:
                ev.current.lines = {line.id: [0, 0] for line in cfg.lines}
            for st in ev.tracks.values():  # sides of the old geometry mean nothing for the new one
                st.sides.clear()
                st.crossings.clear()
            self.closed.clear()
            self.face_px.clear()
        if self.state != "running":  # nothing new is coming: show the new line on the last frame now
            self._redraw()

    def store_reference(self) -> reference.Reference:
        with self.lock:
            if self.background.frames < 10:
                raise ValueError("camera: fewer than 10 frames seen; wait for the preview")
            return reference.save(self.cfg.outbox.dir, self.background.edges())
