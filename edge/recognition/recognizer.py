"""Recognition in the pipeline: live tracks' best sightings -> votes -> declared matches, plus the timers
(reload after a CLI change, purge of expired entries)."""
from __future__ import annotations

from dataclasses import dataclass

from footfall.edge.config import EdgeConfig

from .audit import AuditLog
from .matcher import Match, Matcher, TrackVotes
from .store import GalleryStore, parse_key

RELOAD_EVERY_S = 5.0  # `footfall-edge unenroll` beside the running service takes effect within this


@dataclass(frozen=True)
class Recognised:
    track: int
    match: Match
    ts: float


def open_gallery(cfg: EdgeConfig) -> tuple[GalleryStore, AuditLog]:
    rec = cfg.recognition
    key = parse_key(rec.key.read())
    audit = AuditLog(rec.audit_log, key, cfg.device)
    return GalleryStore(rec.gallery, key, audit), audit


def list_thresholds(cfg: EdgeConfig) -> dict[str, float]:
    rec = cfg.recognition
    return {name: s.threshold or rec.threshold for name, s in rec.lists.items()}


class Recognizer:
    def __init__(self, cfg: EdgeConfig, store: GalleryStore | None = None, audit: AuditLog | None = None):
        rec = cfg.recognition
        if store is None:
            store, audit = open_gallery(cfg)
        self.store, self.audit = store, audit
        self.votes = TrackVotes(Matcher(store, list_thresholds(cfg)), rec.min_frames)
        self.purge_every_s = rec.purge_every_s
        self._next_reload = self._next_purge = None

    def tick(self, ts: float) -> None:
        if self._next_reload is None or ts >= self._next_reload:
            self.store.refresh()
            self._next_reload = ts + RELOAD_EVERY_S
        if self._next_purge is None or ts >= self._next_purge:
            self.store.purge_expired()
            self._next_purge = ts + self.purge_every_s

    def observe(self, live, embedder, ts: float) -> list[Recognised]:
        """Vote with the best sighting of every undecided live track (embedded once per new best sighting, a
        cost shared with re-identification); returns the matches declared on this frame."""
        self.tick(ts)
        out = []
        for face in live:
            if not self.votes.wants(face.id):
                continue
            best = embedder.best_sighting(face.id)
            if best is None:
                continue
            m = self.votes.vote(face.id, *best)
            if m is not None:
                self.audit.record("match", m.ref, m.list, score=m.score)
                out.append(Recognised(face.id, m, ts))
        return out

    def decided(self, track: int) -> Match | None:
        return self.votes.decided.get(track)

    def finish(self, track: int) -> Match | None:
        return self.votes.finish(track)
