"""Per-track audience estimates on the device, turned into per-interval counts before anything leaves it.

Age / gender: the best `best_n` sightings of a track (size x frontalness x sharpness, as for embeddings) are run
through FaceRes when the track finishes; the estimates are averaged, then binned. A band or gender is "unknown" when
the sightings are too poor, the age softmax too wide, or P(male) too close to 0.5: no guess is published.
Reactions: the expression of every frame a track looks at a display (the events stage says which), summarised per
look when the track finishes. Only counts per band and per reaction leave this module.
"""
from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from footfall.edge.embed.quality import geometry_score, identity_sighting, sharpness_score
from footfall.edge.events.aggregator import MIN_VIEW_S

from .bands import age_band
from .expression import face_box_crop
from .faceres import AgeGender, align_224
from .reactions import Look, summarise

# Staff are excluded before any audience estimate: the pipeline passes the tracks recognised on the consented staff
# list (edge/recognition); without one nobody is staff.
StaffExclusion = Callable[[int], bool]


def no_staff(track_id: int) -> bool:
    return False


@dataclass
class _TrackAudience:
    crops: list = field(default_factory=list)  # heap of (quality, seq, 224 crop)
    looks: dict[str, Look] = field(default_factory=dict)


@dataclass
class IntervalAudience:
    """Counts of one interval: the only shape audience data takes outside this module."""

    age: Counter = field(default_factory=Counter)
    gender: Counter = field(default_factory=Counter)
    reactions: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    reaction_look_s: dict[str, float] = field(default_factory=lambda: defaultdict(float))


def estimate(results: list[AgeGender], max_age_sd: float, min_gender_conf: float) -> tuple[str, str]:
    """Band and gender from one track's estimates (mean over its sightings)."""
    if not results:
        return "unknown", "unknown"
    age = float(np.mean([r.age for r in results]))
    sd = float(np.mean([r.age_sd for r in results]))
    p_male = float(np.mean([r.p_male for r in results]))
    band = age_band(age) if sd <= max_age_sd else "unknown"
    if p_male >= min_gender_conf:
        gender = "male"
    elif 1.0 - p_male >= min_gender_conf:
        gender = "female"
    else:
        gender = "unknown"
    return band, gender


class AudienceObserver:
    def __init__(self, settings, age_gender_model=None, expression_model=None, is_staff: StaffExclusion = no_staff):
        """settings: EdgeConfig.privacy.audience. Models are built here unless given (tests and benchmarks)."""
        self.s = settings
        self.is_staff = is_staff
        self.faceres = self.expression = None
        if settings.age_gender:
            from .faceres import FaceRes

            self.faceres = age_gender_model or FaceRes(settings.threads)
        if settings.reactions:
            from .expression import Expression

            self.expression = expression_model or Expression(settings.threads)
        self._tracks: dict[int, _TrackAudience] = {}
        self._seq = 0
        self.intervals: dict[float, IntervalAudience] = defaultdict(IntervalAudience)
        self.runs = Counter()  # model invocations since start, for the cost benchmark

    @property
    def model_files(self) -> list[str]:
        return [m.model_file for m in (self.faceres, self.expression) if m is not None]

    def observe(self, tracks, looks: list[tuple[int, str, float]]) -> None:
        """One frame: keep the best sightings of each live face; run the expression model on the faces looking at
        a display (looks: track id, display, seconds this frame, from the events stage)."""
        image = tracks.frame.image
        by_id = {t.id: t for t in tracks.live}
        if self.faceres is not None:
            for t in tracks.live:
                if identity_sighting(t) and not self.is_staff(t.id):
                    self._keep(t.id, image, t.keypoints)
        if self.expression is not None:
            for track_id, display, dt in looks:
                t = by_id.get(track_id)
                if t is None or self.is_staff(track_id):
                    continue
                p = None
                if identity_sighting(t) and geometry_score(t.keypoints) >= self.s.min_quality:
                    p = self.expression(face_box_crop(image, t.box))
                    self.runs["expression"] += 1
                ta = self._tracks.setdefault(track_id, _TrackAudience())
                ta.looks.setdefault(display, Look()).add(dt, p)

    def _keep(self, track_id: int, image: np.ndarray, keypoints: np.ndarray) -> None:
        ta = self._tracks.setdefault(track_id, _TrackAudience())
        g = geometry_score(keypoints)
        if g < self.s.min_quality or (len(ta.crops) == self.s.best_n and g <= ta.crops[0][0]):
            return
        crop = align_224(image, keypoints)
        q = g * (0.5 + 0.5 * sharpness_score(crop))
        if q < self.s.min_quality:
            return
        self._seq += 1
        item = (q, self._seq, crop)
        if len(ta.crops) < self.s.best_n:
            heapq.heappush(ta.crops, item)
        elif q > ta.crops[0][0]:
            heapq.heapreplace(ta.crops, item)

    def finish(self, track_id: int, interval_start: float, counted: bool) -> None:
        """A track ended; `counted`: it became a visit (noise tracks are dropped with their sightings)."""
        ta = self._tracks.pop(track_id, None)
        if not counted or self.is_staff(track_id):
            return
        iv = self.intervals[round(interval_start)]
        if self.faceres is not None:
            results = [self.faceres(crop) for _, _, crop in (ta.crops if ta else [])]
            self.runs["faceres"] += len(results)
            band, gender = estimate(results, self.s.max_age_sd, self.s.min_gender_confidence)
            iv.age[band] += 1
            iv.gender[gender] += 1
        if self.expression is not None and ta is not None:
            for display, look in ta.looks.items():
                iv.reactions[display][summarise(look, MIN_VIEW_S, self.s.delight, self.s.frown)] += 1
                iv.reaction_look_s[display] += look.looked_s

    def pop_interval(self, interval_start: float) -> IntervalAudience | None:
        return self.intervals.pop(round(interval_start), None)
