"""The edge pipeline: Frame -> Detections -> Tracks -> (embedding -> code) -> events -> wire messages.

`footfall-edge run` and `footfall-edge replay` drive the same object; only where frames come from and where
messages go differ.
"""
from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable

from footfall.edge.capture.frame import Frame
from footfall.edge.config import EdgeConfig
from footfall.edge.detect.blazeface import VARIANTS, BlazeFace
from footfall.edge.events.aggregator import EventAggregator, Visit, utc
from footfall.edge.track.reid import Appearance
from footfall.edge.track.tracker import FaceTracker, Tracks
from footfall.protocol import CountsMessage, VisitMessage

MIN_VISIT_S = 0.5  # a track shorter than this that crossed no line is detector noise, not a visitor


class Sequencer:
    """Monotonic per-device message numbers; `run` resumes from the outbox's last number."""

    def __init__(self, start: int = 0):
        self.value = start

    def __call__(self) -> int:
        n = self.value
        self.value += 1
        return n


class StageTimes:
    def __init__(self):
        self.total_ms: dict[str, float] = defaultdict(float)
        self.frames = 0

    def add(self, stage: str, started: float) -> float:
        now = time.perf_counter()
        self.total_ms[stage] += (now - started) * 1000
        return now

    def mean_ms(self) -> dict[str, float]:
        return {k: round(v / max(self.frames, 1), 3) for k, v in self.total_ms.items()}


class EdgePipeline:
    def __init__(self, cfg: EdgeConfig, site_secret: bytes | None, seq: Callable[[], int] | None = None,
                 embedder_factory: Callable[[int], object] | None = None):
        self.cfg = cfg
        self.seq = seq or Sequencer()
        d = cfg.detector
        self.detector = BlazeFace(d.model, d.min_confidence, d.min_face_px, d.threads)
        self.events = EventAggregator(cfg)
        self.times = StageTimes()
        self.discarded_tracks = 0
        self.embedder = self.codebook = self.gallery = None
        level = cfg.privacy.level
        if level != "counts":  # at `counts` no embedding model is even loaded
            from footfall.edge.embed.track_embedder import TrackEmbedder
            from footfall.edge.identify.codebook import CodeBook

            if embedder_factory is None:
                from footfall.edge.embed.sface import SFace

                embedder_factory = SFace
            if site_secret is None:
                raise ValueError(f"privacy level {level!r} needs the site secret")
            e = cfg.embedder
            self.embedder = TrackEmbedder(embedder_factory(e.threads), best_n=e.best_n, min_quality=e.min_quality)
            rot = cfg.privacy.rotation
            self.codebook = CodeBook(site_secret, cfg.site, cfg.timezone, rot.period, rot.hour)
            if level == "device":
                from footfall.edge.identify.gallery import DeviceGallery

                self.gallery = DeviceGallery()
        # a walker hidden for a moment is joined by motion, and by appearance where embeddings are allowed
        appearance = Appearance(self.embedder.of_track, self.embedder.of_face) if self.embedder else None
        self.tracker = FaceTracker(fps=cfg.camera.fps, appearance=appearance)

    @property
    def model_files(self) -> list[str]:
        files = [VARIANTS[self.cfg.detector.model].filename]
        if self.embedder is not None:
            files.append(self.embedder.embed.model_file)
        return files

    def tracking_totals(self) -> dict[str, int]:
        """Since start: tracks, those joined across a gap, crossings, those decided with low confidence (health)."""
        t, c = self.tracker, self.events.crossings
        return {"tracks": t.tracks_started, "tracks_joined": sum(t.tracks_joined.values()),
                "crossings": c["counted"], "crossings_uncertain": c["uncertain"]}

    def _envelope(self, ts: float) -> dict:
        return {"site": self.cfg.site, "device": self.cfg.device, "seq": self.seq(), "ts": utc(ts)}

    def process(self, frame: Frame) -> list:
        t = time.perf_counter()
        d = self.cfg.detector
        detections = self.detector(frame, tuple(d.far_regions) if frame.index % d.far_every == 0 else ())
        t = self.times.add("detect", t)
        tracks = self.tracker.update(detections)
        t = self.times.add("track", t)
        messages = self._counts(self.events.advance(frame.ts), frame.ts)
        self.events.update(tracks)
        t = self.times.add("events", t)
        messages += self._observe_and_finish(tracks)
        self.times.frames += 1
        return messages

    def _observe_and_finish(self, tracks: Tracks) -> list:
        t = time.perf_counter()
        if self.embedder is not None:
            for face in tracks.live:
                if face.keypoints is not None:
                    self.embedder.observe(face.id, tracks.frame.image, face.keypoints)
        out = []
        for ft in tracks.finished:
            visit = self.events.finish(ft)
            if visit.last_seen - visit.first_seen < MIN_VISIT_S and visit.direction is None:
                if self.embedder is not None:
                    self.embedder.drop(visit.track)
                self.discarded_tracks += 1
                continue
            out.append(self._visit_message(visit, tracks.frame.ts))
        self.times.add("embed", t)
        return out

    def _visit_message(self, visit: Visit, now: float) -> VisitMessage:
        code = period = None
        quality = 0.0
        if self.embedder is not None:
            emb = self.embedder.finish(visit.track)
            quality = emb.quality
            if emb.vector is not None:
                code, period = self.codebook.code(emb.vector, visit.first_seen)
                if self.gallery is not None:
                    self.events.count_visitor(self.gallery.seen(code, period))
                    code = period = None  # privacy level `device`: the code stays here
        return VisitMessage(**self._envelope(now), track=visit.track, code=code, period=period, zone=visit.zone,
                            first_seen=utc(visit.first_seen), last_seen=utc(visit.last_seen),
                            direction=visit.direction, line=visit.line, quality=round(min(quality, 1.0), 3),
                            looked_s=visit.looked_s)

    def _counts(self, intervals: list[dict], now: float) -> list:
        return [CountsMessage(**self._envelope(now), **fields) for fields in intervals]

    def close(self, last: Frame) -> list:
        """End of input: finish every track and emit the open interval."""
        messages = self._observe_and_finish(self.tracker.flush(last))
        return messages + self._counts(self.events.flush(), last.ts)
