"""Crossings nobody saw: a walker whose face was hidden (the person in front, a turned head) just as they reached the
line. Decided when the track finishes, from its path, and counted with low confidence (health).

Two shapes: a track first seen just past a line that then walks on away from it (`appeared_past`), and a track that
walked steadily towards a line and vanished just short of it (`vanished_at`). Someone who hesitates slows and stands
before turning back, so only a walker still moving at a walking pace when last seen counts.

The converse, a crossing seen that was none: someone who steps just over the line, stands, and turns round is lost
standing there (the back of a head is no face); `stood_on` tells them from a walker lost while walking on.

A tailgater can stay hidden behind the person in front until that one walks out of view: their face is first seen
far past the line, at the spot where the person in front was last detected, just after (`SameWalker.behind`).
A walker who crossed with the head turned away, or behind someone who is still in view, can show a face first
well past the line, walking on towards the camera (`appeared_beyond`).

A walker lost just short of the line at a walking pace may instead have stopped there (and turned round): a new
track found standing on the line where they were lost, just after, is them (`SameWalker.stopped_here`). Their
inferred crossing is withdrawn, and the new track decides: it counts if it walks on.

The same walker can leave both halves: one track vanishes before the line, another (not joined to it) appears
past it. `SameWalker` keeps them from counting twice: two crossings of a line in the same direction, close in time
and place, by two tracks of which the second starts after the first ended and no farther back, are one person.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .geometry import CountingLine

INFER_BAND = 0.12  # first seen, or last seen, at most this far from the line (normalised image distance)
INFER_TRAVEL = 0.15  # first seen past it: then walked at least this much farther away
FIT_S = 0.6  # the walking velocity is fitted over the track's last detections within this many seconds
MIN_FIT_POINTS = 4
MIN_SPEED = 0.08  # normalised image distance per second towards the line: walking, not standing or swaying
REACH_S = 1.0  # at that speed the line was at most this far ahead when the face vanished
MIN_WALK = 0.10  # and the track had walked at least this far towards the line
SAME_S = 2.0  # a crossing this close in time to another track's, in the same place, may be the same walker
SAME_FACES = 1.0  # "the same place": within this many face heights along the line
STEP_BACK = 0.05  # a walker's next track starts no farther back than this from where the last one ended
DEEP_BAND = 0.4  # first seen past the line farther than INFER_BAND but at most this far: still on the way in
DEEP_TRAVEL = 0.05  # and then walked at least this much farther
# a face first seen this soon after the person in front was last detected, at the same spot, was behind them all
# along (0.6-0.7 m behind at 0.75 m/s or faster), if they crossed the line at most EMERGE_CROSSED_S before
EMERGE_S = 0.9
EMERGE_CROSSED_S = 5.0
EXIT_EDGE = 0.08  # and were last seen this close to the edge of the image: they walked out of view, uncovering them


def velocity(part: np.ndarray) -> np.ndarray | None:
    """Least-squares velocity (dx/dt, dy/dt) of a (K, 3) ts, x, y piece of a path."""
    if len(part) < MIN_FIT_POINTS or np.ptp(part[:, 0]) <= 0:
        return None
    t = part[:, 0] - part[:, 0].mean()
    return (t[:, None] * (part[:, 1:3] - part[:, 1:3].mean(axis=0))).sum(axis=0) / (t ** 2).sum()


def end_velocity(path: np.ndarray) -> np.ndarray | None:
    """The velocity over a path's last FIT_S seconds."""
    return velocity(path[path[:, 0] >= path[-1, 0] - FIT_S])


def speed_across(line: CountingLine, velocity: np.ndarray) -> float:
    """Rate of change of the signed distance to the line."""
    return float(line.dir[0] * velocity[1] - line.dir[1] * velocity[0])


def farthest(line: CountingLine, path: np.ndarray, side: float) -> float:
    """How far past the line, on `side` (+1 or -1), a path (ts, x, y normalised) went; 0 for an empty one."""
    return max((side * line.signed_distance(p) for p in path[:, 1:3]), default=0.0)


def appeared_past(line: CountingLine, first, last, first_ts: float,
                  path: np.ndarray | None = None) -> tuple[str, float, object] | None:
    """(direction, when, where) for a track first seen (`first`, normalised, at first_ts) just past the line, or on it
    inside its hysteresis band, that then walked on away from it, and was last seen (`last`) on that side; None
    otherwise. path (ts, x, y normalised): first seen on the line, it left the band for good when last seen in it
    (it may have stepped back and forth first)."""
    side = line.side(first) or line.side(last)  # first seen on the line itself: the side is where the walk went
    d0 = line.signed_distance(first)
    # how far it went: someone who walks into a store and browses back towards its door still walked in
    far = max(farthest(line, path, side) if path is not None else 0.0, side * line.signed_distance(last))
    if not (side and line.side(last) == side and abs(d0) <= INFER_BAND and far - abs(d0) >= INFER_TRAVEL
            and line.within_extent(first)):
        return None
    when = first_ts
    if not line.side(first) and path is not None and len(path):
        on = [t for t, x, y in path if not line.side((x, y))]
        when = max(on, default=first_ts)
    return ("in" if side > 0 else "out"), when, first


def appeared_beyond(line: CountingLine, path: np.ndarray) -> tuple[str, float, np.ndarray] | None:
    """(direction, estimated crossing time, point on the line) for a track (ts, x, y normalised) first seen past the
    line, beyond its inference band but within DEEP_BAND, that walked on away from it at a walking pace and down the
    image: a face walks towards the camera, and this one crossed with the head turned away or behind someone, and
    showed it only after. (Tracks walking up the image are leavers' backs of heads, which the detector finds only
    now and then.) None otherwise."""
    first = path[0, 1:3]
    d0 = line.signed_distance(first)
    v = velocity(path[path[:, 0] <= path[0, 0] + FIT_S])
    if not INFER_BAND < abs(d0) <= DEEP_BAND or v is None or v[1] < MIN_SPEED:
        return None
    away = np.sign(d0) * speed_across(line, v)
    if away < MIN_SPEED or farthest(line, path, np.sign(d0)) - abs(d0) < DEEP_TRAVEL:
        return None
    back = abs(d0) / away  # seconds since it was on the line, at that pace
    at = first - v * back
    if not line.within_extent(at):
        return None
    return ("in" if d0 > 0 else "out"), float(path[0, 0] - back), at


def vanished_at(line: CountingLine, path: np.ndarray) -> tuple[str, float, np.ndarray] | None:
    """(direction, estimated crossing time, point on the line) for a track (ts, x, y normalised) that walked towards
    the line and was last seen just short of it, or on it inside the hysteresis band where no crossing counts yet,
    still walking on; None otherwise."""
    v = end_velocity(path)
    if v is None:
        return None
    first, last = path[0, 1:3], path[-1, 1:3]
    d0, d1 = line.signed_distance(first), line.signed_distance(last)
    came_from = np.sign(d0)
    speed = speed_across(line, v)
    if abs(d0) <= line.margin or came_from * speed > -MIN_SPEED or came_from * d1 < -line.margin:
        return None
    to_go = max(came_from * d1, 0.0)  # on the line already: it crossed about when last seen
    reach = to_go / abs(speed)
    if reach > REACH_S or to_go > INFER_BAND or came_from * (d0 - d1) < MIN_WALK:
        return None
    at = last + v * reach
    if not line.within_extent(at):
        return None
    return ("in" if came_from < 0 else "out"), float(path[-1, 0] + reach), at


def stood_on(line: CountingLine, path: np.ndarray, crossed_ts: float) -> bool:
    """A track (ts, x, y normalised) that crossed the line at crossed_ts and then, when last seen, was standing or
    going back rather than walking on: someone hesitating on the line."""
    after = path[path[:, 0] >= crossed_ts]
    v = end_velocity(after) if len(after) else None
    if v is None:
        return False
    # moving away from the line slower than a walk, or back towards it
    return speed_across(line, v) * np.sign(line.signed_distance(after[-1, 1:3])) < MIN_SPEED


@dataclass
class _Crossing:
    ts: float
    line: str
    direction: str
    along: float  # where on the line, normalised image distance from its start
    width: float  # "the same place": SAME_FACES face heights, normalised like `along`
    track: object  # the track's state: span [first, last detection ts], first and last point (updated while it lives)
    vanished: bool = False  # inferred from a walker lost just short of the line (vanished_at)


def where_lost(first, lost, aspect: float) -> bool:
    """A track first seen at `first` (normalised) is within a face of where the `lost` track was last detected.
    aspect: image height over width (positions are normalised by each)."""
    return bool(np.hypot(first[0] - lost.last[0], (first[1] - lost.last[1]) * aspect) <= SAME_FACES * lost.face_w)


def continues(earlier, later, line: CountingLine, direction: str) -> bool:
    """`later` could be `earlier` walking on: it was first seen after `earlier` was last seen, no farther back."""
    if earlier.span[1] >= later.span[0]:
        return False  # in view together: two people
    ahead = 1.0 if direction == "in" else -1.0
    return ahead * (line.signed_distance(later.first) - line.signed_distance(earlier.last)) >= -STEP_BACK


class SameWalker:
    """Recent crossings (seen or inferred) of every track, to tell a second half of one walker from another one."""

    KEEP_S = 60.0

    def __init__(self):
        self._recent: list[_Crossing] = []

    def add(self, line: CountingLine, direction: str, ts: float, at, face_h: float, track,
            vanished: bool = False) -> None:
        self._recent = [c for c in self._recent if c.ts >= ts - self.KEEP_S]
        along = float(np.dot(np.asarray(at, np.float64) - line.a, line.dir))
        self._recent.append(_Crossing(ts, line.id, direction, along, SAME_FACES * face_h, track, vanished))

    def withdraw(self, line: str, track) -> None:
        for i in range(len(self._recent) - 1, -1, -1):
            if self._recent[i].line == line and self._recent[i].track is track:
                del self._recent[i]
                return

    def behind(self, line: CountingLine, track, aspect: float) -> tuple[str, float, object] | None:
        """(direction, when, where) for a track first seen past the line, farther than INFER_BAND, where another track
        that had just crossed it the same way was last detected, at the edge of the image, and just after: the person
        behind them, who crossed hidden. (Mid-frame, a new track where another was just lost is more often that one
        found again.) aspect: image height over width (positions are normalised by each)."""
        first, start = track.first, track.span[0]
        d = line.signed_distance(first)
        if abs(d) <= INFER_BAND:
            return None  # near the line: appeared_past decides
        direction = "in" if d > 0 else "out"
        for c in reversed(self._recent):
            front = c.track
            if (c.line == line.id and c.direction == direction and front is not track and front.last is not None
                    and min(*front.last, 1.0 - front.last[0], 1.0 - front.last[1]) <= EXIT_EDGE
                    and start - EMERGE_CROSSED_S <= c.ts <= start and 0.0 <= start - front.span[1] <= EMERGE_S
                    and where_lost(first, front, aspect)):
                # unless the one behind was counted already, by a track of their own (seen, or inferred where it
                # vanished): a crossing just after the front one's, at the same place
                if any(o.line == c.line and o.direction == direction and o.track is not front and o.track is not track
                       and 0.0 <= o.ts - c.ts <= SAME_S and abs(o.along - c.along) <= c.width for o in self._recent):
                    return None
                return direction, c.ts, first
        return None

    def stopped_here(self, line: CountingLine, track, path: np.ndarray, aspect: float) -> _Crossing | None:
        """The crossing inferred for a walker lost just short of the line (vanished_at), when this track was first
        seen standing on the line where they were lost, just after: they had stopped there, not walked on hidden.
        path: the track's (ts, x, y normalised); aspect: image height over width."""
        first, start = track.first, track.span[0]
        if abs(line.signed_distance(first)) > line.margin:
            return None
        v = velocity(path[path[:, 0] <= path[0, 0] + FIT_S])
        if v is None or abs(speed_across(line, v)) >= MIN_SPEED:
            return None
        for c in reversed(self._recent):
            lost = c.track
            if (c.vanished and c.line == line.id and lost is not track and lost.last is not None
                    and 0.0 <= start - lost.span[1] <= SAME_S and where_lost(first, lost, aspect)):
                return c
        return None

    def counted(self, line: CountingLine, direction: str, ts: float, at, track) -> bool:
        """Another track, which this one continues or which continues this one, crossed here then: one walker."""
        along = float(np.dot(np.asarray(at, np.float64) - line.a, line.dir))
        return any(c.line == line.id and c.direction == direction and c.track is not track
                   and abs(c.ts - ts) <= SAME_S and abs(c.along - along) <= c.width
                   and (continues(c.track, track, line, direction) or continues(track, c.track, line, direction))
                   for c in self._recent)
