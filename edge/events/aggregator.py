"""Tracks -> events: line crossings, zone occupancy and dwell, display attention, per-interval counts and one
visit per finished track. Time is the frames' time, so a replay gives the same events as the live run."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

import numpy as np

from footfall.edge.config import EdgeConfig
from footfall.edge.embed.quality import geometry_score, identity_sighting
from footfall.edge.heatmap.accumulate import FloorAccumulator
from footfall.edge.track.tracker import FinishedTrack, Tracks
from footfall.protocol import DeviceVisitors, DisplayCount, LineCount, StaffPresence, ZoneCount

from .geometry import CountingLine, Zone
from .staff_waits import StaffWaits
from .unseen import FIT_S, SameWalker, appeared_beyond, appeared_past, stood_on, vanished_at

# A step over the line and back (before the interval is sent) counts neither way when it came back within
# RETRACT_S, or never went further past the line than HESITATE_DEPTH however long it stood there: someone who
# hesitates on the line and pauses before turning back. Walkers who really cross and come back go further. One whose
# face is lost standing just over the line turned back too (`_turned_back`).
RETRACT_S = 3.0
HESITATE_DEPTH = 0.06  # normalised image distance past the line
LOOKING_FRONTAL = 0.5  # geometry score (size x frontalness) above which a detected face is looking at the camera
MIN_VIEW_S = 0.5  # a passer-by who looked at least this long is a viewer


def utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, timezone.utc)


@dataclass
class _TrackState:
    sides: dict[str, int] = field(default_factory=dict)
    crossings: list[tuple[str, str, float, float]] = field(default_factory=list)  # line, direction, ts, interval
    uncertain: bool = False  # joined across a gap by motion alone since its side was last seen
    first: tuple[float, float] | None = None  # where it was first seen (normalised)
    last: tuple[float, float] | None = None  # where it was last detected
    inside: dict[str, float] = field(default_factory=dict)  # zone -> entered at
    zone_time: dict[str, float] = field(default_factory=dict)
    looked_s: float = 0.0
    displays: set[str] = field(default_factory=set)
    depth: dict[str, float] = field(default_factory=dict)  # line -> farthest past it since its last crossing
    span: list = field(default_factory=lambda: [float("inf"), float("-inf")])  # first and last detection ts
    face_w: float = 0.0  # last detected face height over the image width (the size of "the same place" on a line)
    recent: list = field(default_factory=list)  # (ts, x, y) of its detections in the last FIT_S seconds
    stepped_back: bool = False  # an `in` crossing of it was withdrawn (stepped over the line and back)
    on_line_since: float | None = None  # when it stepped onto a line's band, while it stands there


@dataclass
class _Interval:
    start: float
    lines: dict[str, list[int]]
    zones: dict[str, dict]
    displays: dict[str, dict]
    unique: int = 0
    returning: int = 0
    staff_s: float = 0.0  # staff-seconds on camera (recognised staff tracks, summed)
    staff: set = field(default_factory=set)  # staff tracks seen


@dataclass(frozen=True)
class Visit:
    """What the events stage knows of one finished track; the pipeline adds the code and makes the message."""

    track: int
    first_seen: float
    last_seen: float
    zone: str | None
    direction: str | None
    line: str | None
    looked_s: float | None


class EventAggregator:
    def __init__(self, cfg: EdgeConfig):
        self.cfg = cfg
        self.lines = [CountingLine(l.id, l.a, l.b) for l in cfg.lines]
        self.line_by_id = {line.id: line for line in self.lines}
        self.same_walker = SameWalker()
        self.size = (1, 1)  # the frames' width and height, for finished tracks' pixel paths
        self.zones = [Zone(z.id, z.polygon) for z in cfg.zones]
        self.display_zone = {d.id: d.zone for d in cfg.displays}
        self.interval_s = cfg.interval_s
        self.tracks: dict[int, _TrackState] = {}
        self.current: _Interval | None = None
        self.last_ts: float | None = None
        self.crossings = {"counted": 0, "uncertain": 0, "withdrawn": 0}  # since start (only ever grow), for health
        # Person mode sees bodies from both sides: a body track that starts just past a line is someone who was
        # already there (standing when the unit started, stepping out of a group), not a crossing nobody saw; on
        # opencv_vtest.avi inferring one counted a man who stood beside the line and walked off (docs/person-mode.md).
        self.infer_unseen = not cfg.detector.person.enabled
        hm = cfg.heatmap
        self.floor = FloorAccumulator(hm, cfg.detector.person.enabled) if hm is not None and hm.enabled else None
        # this frame's looks at displays: (track, display, seconds), read by the audience stage (edge/audience)
        self.looks: list[tuple[int, str, float]] = []
        self.staff_tracks: set[int] = set()  # recognised staff: presence only, never a customer count
        self.report_staff = cfg.recognition is not None and cfg.recognition.staff is not None
        self.waits = StaffWaits() if self.report_staff and self.zones else None

    def _new_interval(self, start: float) -> _Interval:
        return _Interval(
            start,
            {l.id: [0, 0] for l in self.lines},
            {z.id: {"entries": 0, "exits": 0, "occ_max": 0, "occ_sum": 0, "frames": 0, "dwell_sum": 0.0, "dwell_n": 0,
                    "wait_sum": 0.0, "wait_n": 0, "unattended": 0}
             for z in self.zones},
            {d: {"passers": set(), "viewers": set(), "look_s": 0.0} for d in self.display_zone},
        )

    def advance(self, ts: float) -> list[dict]:
        """Close every interval that ended before ts; returns their counts (message fields). Intervals no frame fell
        in (the camera was down, or the wall clock stepped forward) are not reported: the cloud sees a gap rather than
        zeros nobody observed, and a clock that jumps days ahead does not send one message per skipped interval."""
        start = ts - ts % self.interval_s
        if self.current is None:
            self.current = self._new_interval(start)
        if self.current.start >= start:
            return []
        out = [self._counts(self.current)]
        self.current = self._new_interval(start)
        return out

    def update(self, tracks: Tracks) -> None:
        frame = tracks.frame
        w, h = self.size = frame.size
        ts = frame.ts
        dt = 0.0 if self.last_ts is None else min(ts - self.last_ts, 1.0)
        self.last_ts = ts
        iv = self.current
        if self.floor is not None:  # customers' time only
            self.floor.update([t for t in tracks.live if t.id not in self.staff_tracks], ts, w, h)
        self.looks = []
        occupancy = {z.id: 0 for z in self.zones}
        customers: dict[str, set[int]] = {z.id: set() for z in self.zones}
        staffed: set[str] = set()
        for t in tracks.live:
            if t.id in self.staff_tracks:
                iv.staff_s += dt
                iv.staff.add(t.id)
                if self.waits is not None:
                    cx, cy = t.centre
                    staffed |= {z.id for z in self.zones if z.contains((cx / w, cy / h))}
                continue
            st = self.tracks.setdefault(t.id, _TrackState())
            cx, cy = t.centre
            p = (cx / w, cy / h)
            if t.origin is not None:
                o = (t.origin[0] / w, t.origin[1] / h)
                for line in self.lines:
                    if line.side(o):
                        st.sides[line.id] = line.side(o)
            if t.joined == "motion":
                st.uncertain = True
            if st.first is None:
                st.first = (t.origin[0] / w, t.origin[1] / h) if t.origin is not None else p
            if t.detected:
                st.recent = [r for r in st.recent if r[0] >= ts - FIT_S] + [(ts, *p)]
                st.last = p
                st.span[0], st.span[1] = min(st.span[0], ts), ts
                st.face_w = float(t.box[3] - t.box[1]) / w
                for line in self.lines:
                    side = line.side(p)
                    prev = st.sides.get(line.id, 0)
                    if side != 0:
                        if prev != 0 and side != prev and line.within_extent(p):
                            self._cross(st, line.id, "in" if side > 0 else "out", ts, p)
                            st.depth[line.id] = 0.0
                        st.sides[line.id] = side
                        st.depth[line.id] = max(st.depth.get(line.id, 0.0), abs(line.signed_distance(p)))
            elif self.infer_unseen and st.crossings:
                self._turned_back(st)
            # standing on a door's line (inside its hysteresis band) is not yet being in the zone behind it: someone
            # who steps onto the threshold and turns back never entered the store. Someone who walks on in entered
            # when they stepped onto it (their stay is not shortened by the band).
            threshold = bool(self.zones) and any(line.side(p) == 0 and line.within_extent(p) for line in self.lines)
            since = st.on_line_since
            st.on_line_since = (ts if since is None else since) if threshold else None
            for zone in self.zones:
                inside = zone.contains(p) and (zone.id in st.inside or not threshold)
                if inside:
                    occupancy[zone.id] += 1
                    customers[zone.id].add(t.id)
                    st.zone_time[zone.id] = st.zone_time.get(zone.id, 0.0) + dt
                if inside and zone.id not in st.inside:
                    st.inside[zone.id] = ts if since is None else since
                    iv.zones[zone.id]["entries"] += 1
                elif not inside and zone.id in st.inside:
                    self._exit(st, zone.id, ts)
            for display, zone_id in self.display_zone.items():
                if zone_id in st.inside:
                    d = iv.displays[display]
                    d["passers"].add(t.id)
                    st.displays.add(display)
                    if identity_sighting(t) and geometry_score(t.keypoints) >= LOOKING_FRONTAL:
                        st.looked_s += dt
                        d["look_s"] += dt
                        self.looks.append((t.id, display, dt))
                        if st.looked_s >= MIN_VIEW_S:
                            d["viewers"].add(t.id)
        if self.waits is not None:
            served, unattended = self.waits.update(ts, customers, staffed)
            for zid, waited in served:
                iv.zones[zid]["wait_sum"] += waited
                iv.zones[zid]["wait_n"] += 1
            for zid in unattended:
                iv.zones[zid]["unattended"] += 1
        for zid, n in occupancy.items():
            z = iv.zones[zid]
            z["occ_max"] = max(z["occ_max"], n)
            z["occ_sum"] += n
            z["frames"] += 1

    def _cross(self, st: _TrackState, line: str, direction: str, ts: float, at,
               crossed_at: float | None = None, vanished: bool = False) -> None:
        """at: where on the line (normalised) and crossed_at: when (ts unless inferred later), for telling one
        walker's two tracks from two walkers; vanished: inferred for a walker lost just short of the line."""
        iv = self.current
        last = st.crossings[-1] if st.crossings else None
        if (last and last[0] == line and last[1] != direction and last[3] == iv.start
                and (ts - last[2] <= RETRACT_S or st.depth.get(line, 0.0) <= HESITATE_DEPTH)):
            self._withdraw(st)  # stepped over and back: count nothing
            return
        when = ts if crossed_at is None else crossed_at
        self.same_walker.add(self.line_by_id[line], direction, when, at, st.face_w, st, vanished)
        iv.lines[line][0 if direction == "in" else 1] += 1
        st.crossings.append((line, direction, ts, iv.start))
        self.crossings["counted"] += 1
        self.crossings["uncertain"] += st.uncertain
        st.uncertain = False

    def _withdraw(self, st: _TrackState) -> None:
        line, direction, _, _ = st.crossings.pop()
        st.stepped_back |= direction == "in"
        self.current.lines[line][0 if direction == "in" else 1] -= 1
        self.same_walker.withdraw(line, st)
        self.crossings["withdrawn"] += 1

    def _exit(self, st: _TrackState, zone_id: str, ts: float) -> None:
        entered = st.inside.pop(zone_id)
        z = self.current.zones[zone_id]
        z["exits"] += 1
        z["dwell_sum"] += ts - entered
        z["dwell_n"] += 1

    def exclude_staff(self, track_id: int) -> None:
        """A track recognised as staff: from now on presence only, and what it counted in the open interval is
        withdrawn (an interval already sent keeps it: recognition usually decides before the door)."""
        self.staff_tracks.add(track_id)
        if self.waits is not None:
            self.waits.forget(track_id)
        iv = self.current
        if iv is not None:
            iv.staff.add(track_id)
            for d in iv.displays.values():
                d["passers"].discard(track_id)
                d["viewers"].discard(track_id)
        self._uncount(track_id)

    def _uncount(self, track_id: int) -> None:
        """The track's crossings and zone entries in the open interval are withdrawn (an interval already sent keeps
        them), and it is forgotten."""
        st, iv = self.tracks.pop(track_id, None), self.current
        if st is None or iv is None:
            return
        for line, direction, _, start in st.crossings:
            if start == iv.start:
                iv.lines[line][0 if direction == "in" else 1] -= 1
                self.same_walker.withdraw(line, st)
        for zone_id, entered in st.inside.items():
            if entered >= iv.start:
                iv.zones[zone_id]["entries"] -= 1

    def finish(self, ft: FinishedTrack) -> Visit:
        if self.floor is not None:
            self.floor.forget(ft.id)
        if ft.id in self.staff_tracks:  # no crossing inferred, no dwell: staff are not visitors
            self.staff_tracks.discard(ft.id)
            return Visit(ft.id, ft.first_ts, ft.last_ts, None, None, None, None)
        if ft.double_of is not None:  # a second track on another's face: that track counts the walker
            self._uncount(ft.id)
            return Visit(ft.id, ft.first_ts, ft.last_ts, None, None, None, None)
        st = self.tracks.pop(ft.id, _TrackState())
        for zone_id in list(st.inside):
            self._exit(st, zone_id, ft.last_ts)
        if self.infer_unseen:
            self._infer_unseen_crossings(st, ft)
        zone = max(st.zone_time, key=st.zone_time.get) if st.zone_time else None
        if st.stepped_back and not any(c[1] == "in" for c in st.crossings):
            zone = None  # stepped over the door and back: no visit to the place behind it
        line, direction = st.crossings[-1][:2] if st.crossings else (None, None)
        return Visit(ft.id, ft.first_ts, ft.last_ts, zone, direction, line, round(st.looked_s, 2) if st.displays else None)

    def _turned_back(self, st: _TrackState) -> None:
        """The face is not seen on this frame. If it had stepped just over a line and stood there, it turned round
        (the back of a head is no face) and went back: the step over is withdrawn, as the step-over-and-back rule
        would have done had the back been tracked. Its side goes back to where it came from, so a face found again
        walking on counts then."""
        line_id, direction, ts, start = st.crossings[-1]
        line = self.line_by_id[line_id]
        if (start == self.current.start and st.depth.get(line_id, 0.0) <= HESITATE_DEPTH
                and st.recent and stood_on(line, np.array(st.recent), ts)):
            self._withdraw(st)
            st.sides[line_id] = -1 if direction == "in" else 1

    def _infer_unseen_crossings(self, st: _TrackState, ft: FinishedTrack) -> None:
        """Crossings made while the face was hidden (edge/events/unseen.py), each counted once per walker."""
        if st.first is None or st.last is None:
            return
        w, h = self.size
        path = ft.path[:, :3] / np.array([1.0, w, h]) if len(ft.path) else None
        for line in self.lines:
            stopped = self.same_walker.stopped_here(line, st, path, h / w) if path is not None else None
            if stopped is not None:
                self._withdraw_stopped(stopped)
            if any(c[0] == line.id for c in st.crossings):
                continue
            found = appeared_past(line, st.first, st.last, st.span[0], path)
            if stopped is not None and found and found[0] != stopped.direction:
                continue  # came up to the line and went back: nothing
            vanished = False
            if found is None and path is not None:
                found = vanished_at(line, path)
                vanished = found is not None
            if found and self.same_walker.counted(line, *found, st):
                continue
            found = found or self.same_walker.behind(line, st, h / w)
            if found is None and path is not None:
                found = appeared_beyond(line, path)
                if found and self.same_walker.counted(line, *found, st):
                    continue
            if found:
                st.uncertain = True
                self._cross(st, line.id, found[0], ft.last_ts, found[2], found[1], vanished)

    def _withdraw_stopped(self, crossing) -> None:
        """A crossing inferred for a walker lost short of the line, who was then found standing on it: withdrawn
        while its interval is open (one already sent keeps it)."""
        lost = crossing.track
        if lost.crossings and lost.crossings[-1][0] == crossing.line and lost.crossings[-1][3] == self.current.start:
            self._withdraw(lost)

    def count_visitor(self, returning: bool) -> None:
        if returning:
            self.current.returning += 1
        else:
            self.current.unique += 1

    def flush(self) -> list[dict]:
        """End of input: the open interval as it stands."""
        if self.current is None:
            return []
        out = [self._counts(self.current)]
        self.current = None
        return out

    def _counts(self, iv: _Interval) -> dict:
        return dict(
            interval_start=utc(iv.start),
            interval_s=self.interval_s,
            lines=[LineCount(line=k, **{"in": v[0]}, out=v[1]) for k, v in iv.lines.items()],
            zones=[ZoneCount(zone=k, entries=z["entries"], exits=z["exits"], occupancy_max=z["occ_max"],
                             occupancy_mean=round(z["occ_sum"] / z["frames"], 3) if z["frames"] else 0.0,
                             dwell_s_sum=round(z["dwell_sum"], 2), dwell_n=z["dwell_n"],
                             **(dict(staff_wait_s_sum=round(z["wait_sum"], 2), staff_wait_n=z["wait_n"],
                                     unattended=z["unattended"]) if self.waits is not None else {}))
                   for k, z in iv.zones.items()],
            displays=[DisplayCount(display=k, passers=len(d["passers"]), viewers=len(d["viewers"]),
                                   look_s_sum=round(d["look_s"], 2)) for k, d in iv.displays.items()],
            visitors=DeviceVisitors(unique=iv.unique, returning=iv.returning) if self.cfg.privacy.level == "device" else None,
            floor=self.floor.take() if self.floor is not None else None,
            staff=StaffPresence(present_s=round(iv.staff_s, 2), people=len(iv.staff)) if self.report_staff else None,
        )
