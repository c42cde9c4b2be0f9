"""Cosine similarity of one embedding to every enrolled face, and the agreement of several frames of a track.

A frame votes for the entry it is most similar to when that similarity reaches the entry's threshold (the list's,
or the entry's own once feedback raised it). A match is declared when `min_frames` distinct frames of one track
vote for the same entry, so one lucky frame of a look-alike is not enough.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .store import GalleryStore


@dataclass(frozen=True)
class Match:
    ref: str
    list: str
    score: float  # mean similarity of the agreeing frames


class Matcher:
    def __init__(self, store: GalleryStore, thresholds: dict[str, float]):
        self.store, self.thresholds = store, thresholds
        self._version = -1
        self._rebuild()

    def _rebuild(self) -> None:
        entries = [e for e in self.store.entries.values() if e.list in self.thresholds]
        self.refs = [e.ref for e in entries]
        self.lists = [e.list for e in entries]
        self.limit = np.array([e.threshold or self.thresholds[e.list] for e in entries], np.float32)
        vectors = [e.vectors for e in entries]
        self.matrix = np.vstack(vectors) if vectors else np.zeros((0, 128), np.float32)
        self.owner = np.concatenate([np.full(len(v), i) for i, v in enumerate(vectors)]) if vectors else np.zeros(0, int)
        self._version = self.store.version

    def best(self, vector: np.ndarray) -> tuple[int, float] | None:
        """(entry index, similarity) of the most similar entry at or above its threshold, else None."""
        if self._version != self.store.version:
            self._rebuild()
        if not len(self.matrix):
            return None
        sims = self.matrix @ vector
        per_entry = np.full(len(self.refs), -1.0, np.float32)
        np.maximum.at(per_entry, self.owner, sims)
        i = int(np.argmax(per_entry))
        return (i, float(per_entry[i])) if per_entry[i] >= self.limit[i] else None


@dataclass
class _Votes:
    seen: set = field(default_factory=set)  # sighting numbers already voted (distinct frames only)
    scores: dict = field(default_factory=dict)  # ref -> similarities
    tries: int = 0


class TrackVotes:
    """Per-track agreement over distinct frames."""

    def __init__(self, matcher: Matcher, min_frames: int, max_tries: int = 4):
        self.matcher, self.min_frames, self.max_tries = matcher, min_frames, max_tries
        self._votes: dict[int, _Votes] = {}
        self.decided: dict[int, Match] = {}

    def wants(self, track: int) -> bool:
        v = self._votes.get(track)
        return track not in self.decided and (v is None or v.tries < self.max_tries)

    def vote(self, track: int, sighting: int, vector: np.ndarray) -> Match | None:
        """A new frame of `track`; returns the Match the moment it is declared."""
        v = self._votes.setdefault(track, _Votes())
        if sighting in v.seen or track in self.decided:
            return None
        v.seen.add(sighting)
        v.tries += 1
        hit = self.matcher.best(vector)
        if hit is None:
            return None
        i, score = hit
        ref = self.matcher.refs[i]
        v.scores.setdefault(ref, []).append(score)
        if len(v.scores[ref]) >= self.min_frames:
            m = Match(ref, self.matcher.lists[i], round(float(np.mean(v.scores[ref])), 4))
            self.decided[track] = m
            return m
        return None

    def finish(self, track: int) -> Match | None:
        self._votes.pop(track, None)
        return self.decided.pop(track, None)
