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
from footfall.edge.detect.detections import Detections
from footfall.edge.detect.motion import RegionSchedule
from footfall.edge.embed.quality import identity_sighting
from footfall.edge.events.aggregator import EventAggregator, Visit, utc
from footfall.edge.track.reid import Appearance
from footfall.edge.track.tracker import FaceTracker, Tracks
from footfall.protocol import AlertMessage, AuditMessage, CountsMessage, VisitMessage

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
        self.person_mode = d.person.enabled
        # person mode at privacy level `counts` needs no face at all: bodies count, and no code is ever made
        faces = not self.person_mode or cfg.privacy.level != "counts"
        # faces down to the follow threshold reach the tracker; only one over min_confidence starts a track
        threshold = d.follow_confidence or d.min_confidence
        self.detector = BlazeFace(d.model, threshold, d.min_face_px, d.threads) if faces else None
        self.far_schedule = RegionSchedule(tuple(d.far_regions), d.far_every, d.far_motion)
        self._regions_reused = False
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
            refine = None
            if e.refine_keypoints:
                from footfall.edge.embed.refine import KeypointRefiner

                refine = KeypointRefiner(BlazeFace("short_range", min_confidence=0.5, min_face_px=8))
            self.embedder = TrackEmbedder(embedder_factory(e.threads), best_n=e.best_n, min_quality=e.min_quality,
                                          refine=refine)
            rot = cfg.privacy.rotation
            self.codebook = CodeBook(site_secret, cfg.site, cfg.timezone, rot.period, rot.hour)
            if level == "device":
                from footfall.edge.identify.gallery import DeviceGallery

                self.gallery = DeviceGallery()
        # a walker hidden for a moment is joined by motion, and by appearance where embeddings are allowed
        appearance = Appearance(self.embedder.of_track, self.embedder.of_face) if self.embedder else None
        self.tracker = FaceTracker(fps=cfg.camera.fps, appearance=appearance, start_score=d.min_confidence)
        if self.person_mode:
            self._init_person_mode()
        self.audience = None
        a = cfg.privacy.audience
        if a.age_gender or a.reactions:  # opt-in; config validation decided where it may run
            from footfall.edge.audience.observer import AudienceObserver

            # staff (consented staff list, edge/recognition) are never estimated
            self.audience = AudienceObserver(a, is_staff=lambda track: track in self.events.staff_tracks)
        self.recognizer = None
        if cfg.recognition is not None:  # consented lists only (edge/recognition); config rules allowed them here
            from footfall.edge.recognition.recognizer import Recognizer

            self.recognizer = Recognizer(cfg)

    def _init_person_mode(self) -> None:
        """Person tracks drive lines and zones; a face track attached to one gives its visit the face's code."""
        from footfall.edge.detect.motion import DetectSchedule, MotionDetector
        from footfall.edge.detect.nanodet import NanoDet
        from footfall.edge.track.attach import FaceAttacher
        from footfall.edge.track.bodies import BodyTracker

        p = self.cfg.detector.person
        self.people = NanoDet(p.min_confidence, p.threads, min_height_px=p.min_height_px)
        self.motion = MotionDetector() if p.motion else None
        self.schedule = DetectSchedule(p.every, p.motion)
        self.bodies = BodyTracker(fps=self.cfg.camera.fps, every=p.every)
        self.attacher = FaceAttacher()
        self._body_faces: dict[int, object] = {}  # body track -> best TrackEmbedding of the faces attached to it

    @property
    def model_files(self) -> list[str]:
        files = []
        if self.person_mode:
            files.append(self.people.model_file)
        if self.detector is not None:
            files.append(VARIANTS[self.cfg.detector.model].filename)
        if self.embedder is not None:
            files.append(self.embedder.embed.model_file)
        if self.audience is not None:
            files += self.audience.model_files
        return files

    def tracking_totals(self) -> dict[str, int]:
        """Since start: tracks, those joined across a gap, crossings, those decided with low confidence (health).
        In person mode the tracks are person tracks, the ones that count."""
        t, c = (self.bodies if self.person_mode else self.tracker), self.events.crossings
        return {"tracks": t.tracks_started, "tracks_joined": sum(t.tracks_joined.values()),
                "crossings": c["counted"], "crossings_uncertain": c["uncertain"]}

    def _envelope(self, ts: float) -> dict:
        return {"site": self.cfg.site, "device": self.cfg.device, "seq": self.seq(), "ts": utc(ts)}

    def _faces(self, frame: Frame) -> Detections:
        regions = tuple(self.cfg.detector.far_regions)
        self._regions_reused = bool(regions) and not self.far_schedule.due(frame.image)
        return self.detector(frame, regions, reuse=self._regions_reused)

    def _in_reused_region(self, face, size: tuple[int, int]) -> bool:
        """On a frame that reused the far regions' last pass, a face wholly inside one may be that pass's box on
        this frame's pixels: a crop of it is off by a frame, and coded worse (more unique, fewer returning
        visitors on the dense scenes). It is coded from the frames that ran the pass, and from nearer."""
        if not self._regions_reused:
            return False
        w, h = size
        x1, y1, x2, y2 = face.box
        return any(x1 >= r[0] * w and y1 >= r[1] * h and x2 <= r[2] * w and y2 <= r[3] * h
                   for r in self.cfg.detector.far_regions)

    def process(self, frame: Frame) -> list:
        if self.person_mode:
            return self._process_people(frame)
        t = time.perf_counter()
        detections = self._faces(frame)
        t = self.times.add("detect", t)
        tracks = self.tracker.update(detections)
        t = self.times.add("track", t)
        messages = self._counts(self.events.advance(frame.ts), frame.ts)
        self.events.update(tracks)
        t = self.times.add("events", t)
        if self.audience is not None:
            self.audience.observe(tracks, self.events.looks)
            self.times.add("audience", t)
        messages += self._observe_and_finish(tracks)
        self.times.frames += 1
        return messages

    def _observe_and_finish(self, tracks: Tracks) -> list:
        t = time.perf_counter()
        if self.embedder is not None:
            for face in tracks.live:
                if identity_sighting(face) and not self._in_reused_region(face, tracks.frame.size):
                    self.embedder.observe(face.id, tracks.frame.image, face.keypoints)
        out = self._recognise(tracks) if self.recognizer is not None else []
        for ft in tracks.finished:
            visit = self.events.finish(ft)
            if self.recognizer is not None and self._is_staff(ft.id):
                self.embedder.drop(ft.id)  # staff: no visit, no code
                if self.audience is not None:  # nor an audience estimate
                    self.audience.finish(ft.id, self.events.current.start, counted=False)
                continue
            if ft.double_of is not None:  # the walker's own track goes on: their sightings go with it
                if self.embedder is not None:
                    self.embedder.merge(ft.id, into=ft.double_of)
                if self.audience is not None:
                    self.audience.finish(ft.id, self.events.current.start, counted=False)
                self.discarded_tracks += 1
                continue
            noise = visit.last_seen - visit.first_seen < MIN_VISIT_S and visit.direction is None
            if self.audience is not None:  # counted in the interval the visit ends in, never attached to it
                self.audience.finish(ft.id, self.events.current.start, counted=not noise)
            if noise:
                if self.embedder is not None:
                    self.embedder.drop(visit.track)
                self.discarded_tracks += 1
                continue
            out.append(self._visit_message(visit, tracks.frame.ts))
        self.times.add("embed", t)
        return out

    def _recognise(self, tracks: Tracks) -> list:
        """Declared matches: staff leave the customer counts; VIP / watchlist raise an alert (opaque ref only)."""
        out = []
        recognised = self.recognizer.observe(tracks.live, self.embedder, tracks.frame.ts)
        for e in self.recognizer.take_audit_events():  # the unit's audit log, without faces, to the cloud too
            out.append(AuditMessage(**self._envelope(tracks.frame.ts), event=e["event"], list=e["list"],
                                    ref_tag=e["ref_tag"], at=utc(e["ts"])))
        for r in recognised:
            if r.match.list == "staff":
                self.events.exclude_staff(r.track)
            else:
                out.append(AlertMessage(**self._envelope(tracks.frame.ts), list=r.match.list, entry=r.match.ref,
                                        seen_at=utc(r.ts), score=min(max(r.match.score, 0.0), 1.0)))
        return out

    def _is_staff(self, track: int) -> bool:
        m = self.recognizer.finish(track)
        return m is not None and m.list == "staff"

    def _process_people(self, frame: Frame) -> list:
        t = time.perf_counter()
        motion = self.motion(frame.image) if self.motion is not None else None
        t = self.times.add("motion", t)
        people = None
        if self.schedule.decide(motion, self.bodies.anyone):
            people = self.people(frame)
        t = self.times.add("detect_people", t)
        bodies = self.bodies.update(frame, people)
        t = self.times.add("track_people", t)
        faces = None
        if self.detector is not None:
            if bodies.live:  # a face matters only on a body
                detections = self._faces(frame)
            else:
                detections = Detections.empty(frame)
            t = self.times.add("detect", t)
            faces = self.tracker.update(detections)
            self.attacher.update(faces.live, bodies.live)
            t = self.times.add("track", t)
        messages = self._counts(self.events.advance(frame.ts), frame.ts)
        self.events.update(bodies)
        self.times.add("events", t)
        messages += self._finish_people(bodies, faces)
        self.times.frames += 1
        return messages

    def _finish_people(self, bodies: Tracks, faces: Tracks | None) -> list:
        """Faces are embedded as before; a finished face track leaves its embedding with the body it belongs to, and
        a finished body track makes the visit, with the code of its best attached face or none."""
        t = time.perf_counter()
        if faces is not None and self.embedder is not None:
            for face in faces.live:
                if identity_sighting(face):
                    self.embedder.observe(face.id, faces.frame.image, face.keypoints)
            for ft in faces.finished:
                body = self.attacher.body_of(ft.id)
                self.attacher.drop_face(ft.id)
                if body is None:
                    self.embedder.drop(ft.id)
                else:
                    self._keep_face(body, self.embedder.finish(ft.id))
        elif faces is not None:
            for ft in faces.finished:
                self.attacher.drop_face(ft.id)
        out = []
        for bt in bodies.finished:
            if self.embedder is not None:
                for face_id in self.attacher.faces_of(bt.id):  # a face still tracked after its body ended
                    self.attacher.drop_face(face_id)
                    self._keep_face(bt.id, self.embedder.finish(face_id))
            emb = self._body_faces.pop(bt.id, None)
            visit = self.events.finish(bt)
            if visit.last_seen - visit.first_seen < MIN_VISIT_S and visit.direction is None:
                self.discarded_tracks += 1
                continue
            out.append(self._visit_message(visit, bodies.frame.ts, emb))
        self.times.add("embed", t)
        return out

    def _keep_face(self, body: int, emb) -> None:
        held = self._body_faces.get(body)
        if emb.vector is not None and (held is None or emb.quality > held.quality):
            self._body_faces[body] = emb

    def _visit_message(self, visit: Visit, now: float, person_face=None) -> VisitMessage:
        """person_face: in person mode, the embedding of the face attached to the body (None: no face was seen)."""
        code = period = None
        quality = 0.0
        if self.embedder is not None and (person_face is not None or not self.person_mode):
            emb = person_face if self.person_mode else self.embedder.finish(visit.track)
            quality = emb.quality
            if emb.vector is not None:
                code, period = self.codebook.code(emb.vector, visit.first_seen)
                if self.gallery is not None:
                    self.events.count_visitor(self.gallery.seen(code, period))
                    code = period = None  # privacy level `device`: the code stays here
        # a wall clock stepped back (NTP) during the walk leaves the last sighting before the first: keep the
        # visit, as a point in time, rather than refuse it
        first, last = visit.first_seen, max(visit.last_seen, visit.first_seen)
        return VisitMessage(**self._envelope(now), track=visit.track, code=code, period=period, zone=visit.zone,
                            first_seen=utc(first), last_seen=utc(last),
                            direction=visit.direction, line=visit.line, quality=round(min(quality, 1.0), 3),
                            looked_s=visit.looked_s)

    def _counts(self, intervals: list[dict], now: float) -> list:
        if self.audience is not None:
            from footfall.edge.audience.wire import audience_fields

            intervals = [{**f, **audience_fields(self.audience, f["interval_start"].timestamp(),
                                                 self.cfg.privacy.audience, [d.id for d in self.cfg.displays])}
                         for f in intervals]
        return [CountsMessage(**self._envelope(now), **fields) for fields in intervals]

    def close(self, last: Frame) -> list:
        """End of input: finish every track and emit the open interval."""
        if self.person_mode:  # faces first, so their codes reach the bodies they belong to
            faces = self.tracker.flush(last) if self.detector is not None else None
            messages = self._finish_people(self.bodies.flush(last), faces)
            return messages + self._counts(self.events.flush(), last.ts)
        messages = self._observe_and_finish(self.tracker.flush(last))
        return messages + self._counts(self.events.flush(), last.ts)
