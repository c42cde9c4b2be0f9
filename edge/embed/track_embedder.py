"""Keeps the N best aligned crops of every live track (in memory) and embeds them when the track finishes."""
from __future__ import annotations

import heapq
from dataclasses import dataclass, field

import numpy as np

from .align import align, share_in_frame
from .quality import geometry_score, sharpness_score
from .refine import close_up


@dataclass(frozen=True, eq=False)
class TrackEmbedding:
    """Mean of a track's best embeddings, L2-normalised; None when no sighting passed the quality gate."""

    vector: np.ndarray | None
    quality: float  # mean quality of the frames used (0 when none)
    faces: int  # embeddings averaged


@dataclass
class _Best:
    crops: list = field(default_factory=list)  # heap of (quality, seq, crop)
    appearance: tuple[int, np.ndarray] | None = None  # (seq of the crop, its embedding) for re-identification
    embedded: dict = field(default_factory=dict)  # seq -> embedding already made (re-id, recognition): not made twice


class TrackEmbedder:
    def __init__(self, embed, best_n: int = 3, min_quality: float = 0.25, refine=None):
        self.embed = embed
        self.refine = refine  # refine.KeypointRefiner: a face's keypoints found again on a close-up
        self.best_n = best_n
        self.min_quality = min_quality
        self._best: dict[int, _Best] = {}
        self._seq = 0
        self.embedded = 0  # faces embedded so far (for health and benchmarks)

    def observe(self, track_id: int, image: np.ndarray, keypoints: np.ndarray) -> None:
        best = self._best.setdefault(track_id, _Best())
        g = geometry_score(keypoints)
        if g < self.min_quality or (len(best.crops) == self.best_n and g <= best.crops[0][0]):
            return  # cannot beat what we hold even if perfectly sharp
        crop = self._aligned(image, keypoints)
        if crop is None:
            return
        # a face cut off by the frame's edge still tells who it is, when no whole sighting does
        q = g * (0.5 + 0.5 * sharpness_score(crop)) * share_in_frame(image.shape, keypoints) ** 2
        if q < self.min_quality:
            return
        self._seq += 1
        self._offer(best, (q, self._seq, crop))

    def _offer(self, best: _Best, item: tuple) -> None:
        """Keep a (quality, seq, crop) sighting if it is among the track's best_n."""
        if len(best.crops) < self.best_n:
            heapq.heappush(best.crops, item)
        elif item[0] > best.crops[0][0]:
            heapq.heapreplace(best.crops, item)

    def of_track(self, track_id: int) -> np.ndarray | None:
        """Appearance of a live or hidden track for re-identification: the embedding of its best sighting so far
        (computed once per best sighting)."""
        best = self._best.get(track_id)
        if best is None or not best.crops:
            return None
        q, seq, crop = max(best.crops)
        if best.appearance is None or best.appearance[0] != seq:
            if seq not in best.embedded:
                best.embedded[seq] = self._embed(crop)
            best.appearance = (seq, best.embedded[seq])
        return best.appearance[1]

    def best_quality(self, track_id: int) -> float:
        best = self._best.get(track_id)
        return max(best.crops)[0] if best is not None and best.crops else 0.0

    def best_sighting(self, track_id: int) -> tuple[int, np.ndarray] | None:
        """(sighting number, embedding) of the track's best sighting so far, for recognition's per-frame votes."""
        vector = self.of_track(track_id)
        return None if vector is None else (self._best[track_id].appearance[0], vector)

    def of_face(self, image: np.ndarray, keypoints: np.ndarray) -> np.ndarray | None:
        """Appearance of one face on the current frame, if it is good enough to tell people apart."""
        if geometry_score(keypoints) < self.min_quality:
            return None
        # not refined: ReID's thresholds were set on the whole-frame pass's keypoints (refined, a join went the
        # other way on a hard scene and one crossing was lost)
        return self._embed(align(image, keypoints))

    def _aligned(self, image: np.ndarray, keypoints: np.ndarray) -> np.ndarray | None:
        if self.refine is None:
            return align(image, keypoints)
        patch, kp = close_up(image, keypoints)
        kp = self.refine(patch, kp)
        return None if kp is None else align(patch, kp)

    def _embed(self, crop: np.ndarray) -> np.ndarray:
        self.embedded += 1
        v = np.asarray(self.embed(crop), np.float32)
        return v / max(float(np.linalg.norm(v)), 1e-12)

    def finish(self, track_id: int) -> TrackEmbedding:
        best = self._best.pop(track_id, None)
        if best is None or not best.crops:
            return TrackEmbedding(None, 0.0, 0)
        made = best.embedded
        vectors = [made[seq] if seq in made else self.embed(crop) for _, seq, crop in best.crops]
        self.embedded += sum(seq not in made for _, seq, _ in best.crops)
        mean = np.mean(vectors, axis=0)
        mean /= max(float(np.linalg.norm(mean)), 1e-12)
        return TrackEmbedding(mean.astype(np.float32), float(np.mean([q for q, _, _ in best.crops])), len(vectors))

    def merge(self, track_id: int, into: int) -> None:
        """A track found to be a second one on another's face: its sightings join that track's, the best kept."""
        best = self._best.pop(track_id, None)
        if best is None:
            return
        target = self._best.setdefault(into, _Best())
        target.embedded.update(best.embedded)
        for item in best.crops:
            self._offer(target, item)

    def drop(self, track_id: int) -> None:
        self._best.pop(track_id, None)

    def clear(self) -> None:
        self._best.clear()
