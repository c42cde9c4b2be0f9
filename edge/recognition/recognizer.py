"""Recognition in the pipeline: live tracks' best sightings -> votes -> declared matches, plus the timers
(reload after a CLI change, purge of expired entries)."""
from __future__ import annotations

from dataclasses import dataclass

from footfall.edge.config import EdgeConfig

from .audit import AuditLog
from .matcher import Match, Matcher, TrackVotes
from .store import GalleryStore, parse_key

RELOAD_EVERY_S = 5.0  # `footfall-edge unenroll` beside the running service takes effect within this
# Only good sightings vote (each vote costs an SFace run, shared with re-identification and the visit's own
# embedding): small far faces match badly anyway, and on the bench's scene voting with every improving sighting cost
# a fifth of the fps (docs/results/recognition.json).
VOTE_MIN_QUALITY = 0.5
VOTE_GAP_S = 0.3  # frames further apart in time are more independent evidence, and fewer cost less


@dataclass(frozen=True)
class Recognised:
    track: int
    match: Match
    ts: float


def open_gallery(cfg: EdgeConfig, strict: bool = True) -> tuple[GalleryStore, AuditLog]:
    rec = cfg.recognition
    key = parse_key(rec.key.read())
    audit = AuditLog(rec.audit_log, key, cfg.device)
    return GalleryStore(rec.gallery, key, audit, strict=strict), audit


def list_thresholds(cfg: EdgeConfig) -> dict[str, float]:
    rec = cfg.recognition
    return {name: s.threshold or rec.threshold for name, s in rec.lists.items()}


class Recognizer:
    def __init__(self, cfg: EdgeConfig, store: GalleryStore | None = None, audit: AuditLog | None = None):
        rec = cfg.recognition
        if store is None:  # a refused gallery file leaves recognition off, never the counting
            store, audit = open_gallery(cfg, strict=False)
        self.store, self.audit = store, audit
        self.votes = TrackVotes(Matcher(store, list_thresholds(cfg)), rec.min_frames)
        self.purge_every_s = rec.purge_every_s
        self._next_reload = self._next_purge = None
        self._last_vote: dict[int, float] = {}
        self.audit_events: list[dict] = []  # audit log lines for the cloud, taken by the pipeline

    def tick(self, ts: float) -> None:
        if self._next_reload is None or ts >= self._next_reload:
            self.store.refresh()
            self.audit_events += self.audit.unsent()
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
            if (not self.votes.wants(face.id) or embedder.best_quality(face.id) < VOTE_MIN_QUALITY
                    or ts - self._last_vote.get(face.id, -1e9) < VOTE_GAP_S):
                continue
            self._last_vote[face.id] = ts
            best = embedder.best_sighting(face.id)
            if best is None:
                continue
            m = self.votes.vote(face.id, *best)
            if m is not None:
                self.audit.record("match", m.ref, m.list, score=m.score)
                out.append(Recognised(face.id, m, ts))
        if out:  # the match lines just written go out with their alerts
            self.audit_events += self.audit.unsent()
        return out

    def take_audit_events(self) -> list[dict]:
        out, self.audit_events = self.audit_events, []
        return out

    def decided(self, track: int) -> Match | None:
        return self.votes.decided.get(track)

    def finish(self, track: int) -> Match | None:
        self._last_vote.pop(track, None)
        return self.votes.finish(track)
