"""Visitor itineraries through the mall, turned into per-device walks (keyframes) and the ground truth.

Planner is the classic one (people spread over the scene, one per free lane); CrowdPlanner, used when the spec has
entries_per_min, sends people in at a rate, in groups, behind each other, stopping, hesitating, looking away.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from .faces import FaceLibrary, Sprite
from .layout import Layout, layout_for

LANES = (0.28, 0.42, 0.58, 0.72)


@dataclass
class Walk:
    """One visitor seen by one device: keyframes (t, x, y, face_h) with the facing of each segment."""

    visitor: str
    trip: int
    device: str
    sprite: Sprite
    keys: list[tuple[float, float, float, float]]
    facing: list[str]  # per segment between keys: front | back | side | down
    look: tuple[float, float] | None = None
    style: dict = field(default_factory=dict)
    legs: tuple[int, ...] = ()  # keys where a new leg starts: crossings are netted per leg (a store walk: in, then out)
    tags: list[str] = field(default_factory=list)  # behaviour, for the truth: group, tailgate, pause, hesitate, ...

    @property
    def t0(self) -> float:
        return self.keys[0][0]

    @property
    def t1(self) -> float:
        return self.keys[-1][0]

    def at(self, t: float) -> tuple[float, float, float, str] | None:
        if not self.t0 <= t <= self.t1:
            return None
        for (ta, xa, ya, ha), (tb, xb, yb, hb), facing in zip(self.keys, self.keys[1:], self.facing):
            if ta <= t <= tb:
                u = 0.0 if tb == ta else (t - ta) / (tb - ta)
                return xa + u * (xb - xa), ya + u * (yb - ya), ha + u * (hb - ha), facing
        return None

    def track(self, ts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """x, y and face height at times ts (inside the walk)."""
        k = np.asarray(self.keys)
        return tuple(np.interp(ts, k[:, 0], k[:, i]) for i in (1, 2, 3))

    def shifted(self, dt: float) -> "Walk":
        return replace(self, keys=[(t + dt, x, y, h) for t, x, y, h in self.keys], facing=list(self.facing),
                       look=(self.look[0] + dt, self.look[1] + dt) if self.look else None, tags=list(self.tags))

    def split(self, t: float) -> int:
        """Make t a key (the path stays the same); its index."""
        for i, ((ta, xa, ya, ha), (tb, xb, yb, hb)) in enumerate(zip(self.keys, self.keys[1:])):
            if abs(t - ta) < 1e-9:
                return i
            if ta < t < tb:
                u = (t - ta) / (tb - ta)
                self.keys.insert(i + 1, (t, xa + u * (xb - xa), ya + u * (yb - ya), ha + u * (hb - ha)))
                self.facing.insert(i + 1, self.facing[i])
                self.legs = tuple(k + 1 if k > i else k for k in self.legs)
                return i + 1
        return len(self.keys) - 1

    def turn_away(self, ta: float, tb: float, facing: str) -> None:
        """The head turns away (`side`, `down`) between ta and tb wherever it faced the camera."""
        a, b = self.split(ta), self.split(tb)
        for i in range(a, b):
            if self.facing[i] == "front":
                self.facing[i] = facing

    def crossings(self, y_line: float) -> list[tuple[float, str]]:
        """Net crossings of the face centre over the horizontal line y, one leg at a time: (t, in|out).

        A leg that ends on the side it started on crosses zero times (a turn-back on the line); one that ends on the
        other side crosses once, at its last crossing (cross, step back, cross again: once, the second time)."""
        out = []
        ends = [0, *self.legs, len(self.keys) - 1]
        for a, b in zip(ends, ends[1:]):
            events = []
            for (ta, _, ya, _), (tb, _, yb, _) in zip(self.keys[a:b], self.keys[a + 1:b + 1]):
                if (ya > y_line) != (yb > y_line):
                    events.append((ta + (y_line - ya) / (yb - ya) * (tb - ta), "in" if yb > ya else "out"))
            if (self.keys[a][2] > y_line) != (self.keys[b][2] > y_line):
                out.append(events[-1])
        return out


def trip_record(photo: str, arrive: float, leave: float, entered: bool = True, group: str | None = None) -> dict:
    return {"photo": photo, "arrive": arrive, "leave": leave, "entered": entered, "group": group}


class Planner:
    """The classic planner: arrivals spread over the first 45% of the scene, one walker per free lane."""

    def __init__(self, spec, faces: FaceLibrary):
        self.spec = spec
        self.rng = np.random.default_rng(spec.seed)
        self.faces = faces
        self.busy: dict[tuple[str, float], list[tuple[float, float]]] = {}
        self.walks: list[Walk] = []

    def n_visitors(self) -> int:
        have = len(self.faces.identities)
        if self.spec.visitors is None:
            return have
        if self.spec.visitors > have:
            raise ValueError(f"{self.spec.visitors} visitors need as many identities; {self.faces.root} has {have} usable")
        return self.spec.visitors

    def style(self) -> dict:
        rng = self.rng
        return {"shirt": tuple(int(c) for c in rng.integers(30, 230, 3)),
                "trousers": tuple(int(c) for c in rng.integers(20, 120, 3)),
                "hair": tuple(int(c) for c in rng.choice([(20, 20, 25), (30, 45, 70), (60, 110, 160), (90, 90, 95)])),
                "gain": float(rng.uniform(*self.spec.lighting)),
                "blur": float(rng.uniform(0, self.spec.blur))}

    def face_h(self, y: float, lay: Layout) -> float:
        lo, hi = self.spec.face_px
        u = (y - lay.far_y) / (1.0 - lay.far_y)
        return float(lo + np.clip(u, 0, 1.2) * (hi - lo))

    def lane(self, device: str, t0: float, t1: float) -> float:
        """A lane free of other walkers (with a gap) on this device, so people do not walk through each other."""
        gap = self.spec.min_gap_s
        for x in self.rng.permutation(LANES):
            spans = self.busy.setdefault((device, float(x)), [])
            if all(t1 + gap <= a or t0 >= b + gap for a, b in spans):
                spans.append((t0, t1))
                return float(x)
        return float(self.rng.choice(LANES))

    def walk_in(self, v, trip, device, sprite, t0, style, stop_y=None) -> Walk:
        lay = layout_for(device)
        dur = float(self.rng.uniform(*self.spec.walk_s))
        end_y = stop_y if stop_y is not None else lay.near_y
        dur *= (end_y - lay.far_y) / (lay.near_y - lay.far_y)
        x = self.lane(device, t0, t0 + dur)
        x_end = float(np.clip(x + self.rng.normal(0, 0.04), 0.15, 0.85))
        keys = [(t0, x, lay.far_y, self.face_h(lay.far_y, lay)), (t0 + dur, x_end, end_y, self.face_h(end_y, lay))]
        return Walk(v, trip, device, sprite, keys, ["front"], style=style)

    def walk_out(self, v, trip, device, sprite, t0, style, from_xy=None) -> Walk:
        lay = layout_for(device)
        x0, y0 = from_xy if from_xy else (self.lane(device, t0, t0 + self.spec.walk_s[1]), lay.near_y)
        dur = float(self.rng.uniform(*self.spec.walk_s)) * (y0 - lay.far_y) / (lay.near_y - lay.far_y)
        keys = [(t0, x0, y0, self.face_h(y0, lay)), (t0 + dur, float(np.clip(x0 + self.rng.normal(0, 0.04), 0.15, 0.85)),
                lay.far_y, self.face_h(lay.far_y, lay))]
        return Walk(v, trip, device, sprite, keys, ["back"], style=style)

    def store_visit(self, v, trip, device, sprite, t0, style) -> list[Walk]:
        lay = layout_for(device)
        if self.spec.aisle is not None:
            return [self.aisle_visit(v, trip, device, sprite, t0, style)]
        browse_y = float(self.rng.uniform(0.55, 0.75))
        w = self.walk_in(v, trip, device, sprite, t0, style, stop_y=browse_y)
        keys, facing = list(w.keys), list(w.facing)
        t, dwell_end = keys[-1][0], keys[-1][0] + float(self.rng.uniform(*self.spec.dwell_s))
        while t < dwell_end:  # browse: small moves and pauses, facing the camera
            step = min(float(self.rng.uniform(2.0, 5.0)), dwell_end - t)
            x = float(np.clip(keys[-1][1] + self.rng.normal(0, 0.05), 0.15, 0.85))
            y = float(np.clip(keys[-1][2] + self.rng.normal(0, 0.03), 0.5, 0.8))
            t += step
            keys.append((t, x, y, self.face_h(y, lay)))
            facing.append("front")
        out = self.walk_out(v, trip, device, sprite, t, style, from_xy=(keys[-1][1], keys[-1][2]))
        leave = len(keys) - 1
        keys += out.keys[1:]
        facing += out.facing
        return [Walk(v, trip, device, sprite, keys, facing, style=style, legs=(leave,))]

    def aisle_visit(self, v, trip, device, sprite, t0, style) -> Walk:
        """The fixed path of a heatmap check: down the aisle, stand facing the camera, back out the same way."""
        lay = layout_for(device)
        x, stop = self.spec.aisle, self.spec.aisle_stop_y
        dur = float(self.rng.uniform(*self.spec.walk_s)) * (stop - lay.far_y) / (lay.near_y - lay.far_y)
        dwell = float(self.rng.uniform(*self.spec.dwell_s))
        # one walker in the aisle at a time (with the spec's gap): a later one waits at the door, so the truth is
        # not blurred by one face hiding another
        spans = self.busy.setdefault((device, x), [])
        gap = self.spec.min_gap_s
        for a, b in sorted(spans):
            if t0 < b + gap and t0 + 2 * dur + dwell + gap > a:
                t0 = b + gap
        spans.append((t0, t0 + 2 * dur + dwell))
        far, near = self.face_h(lay.far_y, lay), self.face_h(stop, lay)
        keys = [(t0, x, lay.far_y, far), (t0 + dur, x, stop, near), (t0 + dur + dwell, x, stop, near),
                (t0 + 2 * dur + dwell, x, lay.far_y, far)]
        return Walk(v, trip, device, sprite, keys, ["front", "front", "back"], style=style, legs=(2,), tags=["aisle"])

    def display_pass(self, v, trip, device, sprite, t0, style) -> Walk:
        y = float(self.rng.uniform(0.5, 0.6))
        h = float(np.mean(self.spec.face_px)) * 0.8
        left = bool(self.rng.random() < 0.5)
        xa, xb = (-0.08, 1.08) if left else (1.08, -0.08)
        dur = float(self.rng.uniform(5.0, 7.0))
        if self.rng.random() < self.spec.look_prob:
            look = float(self.rng.uniform(1.5, 4.0))
            # slows down in front of the screen and turns to it
            ta, tb = t0 + dur * 0.35, t0 + dur * 0.35 + look
            xm1, xm2 = xa + 0.4 * (xb - xa), xa + 0.5 * (xb - xa)
            keys = [(t0, xa, y, h), (ta, xm1, y, h), (tb, xm2, y, h), (tb + dur * 0.45, xb, y, h)]
            return Walk(v, trip, device, sprite, keys, ["side", "front", "side"], look=(ta, tb), style=style)
        return Walk(v, trip, device, sprite, [(t0, xa, y, h), (t0 + dur, xb, y, h)], ["side"], style=style)

    def trip(self, v: str, trip: int, sprite: Sprite, t: float, style: dict, quick: bool = False) -> tuple[list[Walk], float]:
        """Entrance in, stores and display in random order, entrance out. A quick trip only passes the entrance."""
        walks = [self.walk_in(v, trip, "entrance", sprite, t, style)]
        t = walks[0].t1
        stores = [d for d in self.spec.devices if layout_for(d).role == "store" and self.rng.random() < self.spec.store_visit_prob]
        stops = [] if quick else list(self.rng.permutation(stores))
        displays = [d for d in self.spec.devices if layout_for(d).role == "display"]
        if displays and not quick and self.rng.random() < self.spec.display_pass_prob:
            stops.insert(int(self.rng.integers(0, len(stops) + 1)), displays[0])
        for stop in stops:
            t += float(self.rng.uniform(3.0, 8.0))
            if layout_for(stop).role == "display":
                w = self.display_pass(v, trip, stop, sprite, t, style)
                walks.append(w)
                t = w.t1
            else:
                ws = self.store_visit(v, trip, stop, sprite, t, style)
                walks += ws
                t = ws[-1].t1
        t += float(self.rng.uniform(3.0, 8.0))
        out = self.walk_out(v, trip, "entrance", sprite, t, style)
        walks.append(out)
        return walks, out.t1

    def plan(self) -> list[dict]:
        spec, rng = self.spec, self.rng
        ids = list(self.faces.identities)
        n = self.n_visitors()
        chosen = [ids[i] for i in rng.permutation(len(ids))[:n]]
        horizon = spec.duration_s - 1.0
        visitors = []
        arrivals = np.sort(rng.uniform(1.0, max(2.0, spec.duration_s * 0.45), n))
        for n, (identity, arrive) in enumerate(zip(chosen, arrivals)):
            v = f"v{n + 1:02d}"
            photos = self.faces.identities[identity]
            order = rng.permutation(len(photos))
            style = self.style()
            saved = {k: list(s) for k, s in self.busy.items()}
            walks, leave = self.trip(v, 0, photos[order[0]], float(arrive), style)
            if leave > horizon:  # keep scenes whole: a visitor who cannot finish is not rendered
                self.busy = saved
                continue
            trips = [trip_record(photos[order[0]].photo, float(arrive), leave)]
            self.walks += walks
            if len(photos) > 1 and rng.random() < spec.return_fraction:
                again = leave + float(rng.uniform(5.0, 20.0))
                for quick in (False, True):  # a full second trip if it fits the scene, else a quick one
                    saved = {k: list(s) for k, s in self.busy.items()}
                    walks2, leave2 = self.trip(v, 1, photos[order[1]], again, style, quick=quick)
                    if leave2 <= horizon:
                        self.walks += walks2
                        trips.append(trip_record(photos[order[1]].photo, again, leave2))
                        break
                    self.busy = saved
            visitors.append({"id": v, "identity": identity, "trips": trips})
        return visitors


DEPTH_M = 5.8  # metres walked per unit of image height (door at far_y to under the camera at near_y: about 5 m)
FACE_M = 0.2  # a face box is about 0.2 m tall: image pixels across, in metres at a walker's depth
PERSONAL_M = (0.55, 0.5)  # walkers closer than this in depth and across would touch: the crowd plan never does
STEP_S = 0.1  # how finely plans are checked for touching walkers and people in view
FORMATIONS = {1: (0.0,), 2: (-1.3, 1.3), 3: (-2.6, 0.0, 2.6), 4: (-3.9, -1.3, 1.3, 3.9)}  # face heights across


@dataclass
class Member:
    """One person of a party (a visitor alone, or a group walking together) on one trip."""

    visitor: str
    trip: int
    sprite: Sprite
    style: dict


def touching(a: Walk, b: Walk, width: int) -> bool:
    lo, hi = max(a.t0, b.t0), min(a.t1, b.t1)
    if lo >= hi:
        return False
    ts = np.append(np.arange(lo, hi, STEP_S), hi)
    xa, ya, ha = a.track(ts)
    xb, yb, hb = b.track(ts)
    depth = np.abs(ya - yb) * DEPTH_M
    across = np.abs(xa - xb) * width / ((ha + hb) / 2) * FACE_M
    return bool(np.any((depth < PERSONAL_M[0]) & (across < PERSONAL_M[1])))


def in_view(walks: list[Walk], ts: np.ndarray) -> np.ndarray:
    """How many of the walkers have their face centre in the image at each of the times ts."""
    n = np.zeros(len(ts), int)
    for w in walks:
        x, y, _ = w.track(ts)
        n += (w.t0 <= ts) & (ts <= w.t1) & (x >= 0) & (x <= 1) & (y >= 0) & (y <= 1)
    return n


class CrowdPlanner(Planner):
    """People walk in at `entries_per_min` (gamma-distributed gaps; a party takes one gap per member; returning
    visitors take the next arrival once due). Every party is placed (across, and if need be later) so that nobody
    touches anybody and at most `max_in_view` faces are in a device's view; walkers stop and go, hesitate on the
    line, turn their heads away, walk abreast or in file."""

    def __init__(self, spec, faces: FaceLibrary):
        super().__init__(spec, faces)
        self.placed: dict[str, list[Walk]] = {}
        self.pending: list[Walk] = []
        self.horizon = spec.duration_s - 1.0
        self.n_groups = 0

    # --- shapes: points (t, x, y) of the party's centre, x relative to where it starts across -----------------------

    def speed(self, lay: Layout) -> float:
        """Image heights per second for this walker (walk_s is the time from the door to under the camera)."""
        return (lay.near_y - lay.far_y) / float(self.rng.uniform(*self.spec.walk_s))

    def maybe_pause(self, pts: list[list[float]], facing: list[str], tags: list[str]) -> None:
        """Stop-and-go: stand still for pause_s somewhere between 20% and 80% of the walk."""
        if not (self.spec.pause_prob and self.rng.random() < self.spec.pause_prob):
            return
        tp = pts[0][0] + float(self.rng.uniform(0.2, 0.8)) * (pts[-1][0] - pts[0][0])
        pause = float(self.rng.uniform(*self.spec.pause_s))
        for i, (a, b) in enumerate(zip(pts, pts[1:])):
            if a[0] <= tp < b[0]:
                u = (tp - a[0]) / (b[0] - a[0])
                p = [tp, a[1] + u * (b[1] - a[1]), a[2] + u * (b[2] - a[2])]
                for q in pts[i + 1:]:
                    q[0] += pause
                pts[i + 1:i + 1] = [p, [tp + pause, p[1], p[2]]]
                facing[i + 1:i + 1] = [facing[i], facing[i]]
                tags.append("pause")
                return

    def path_in(self, lay: Layout, speed: float, end_y: float, drift: float) -> list[list[float]]:
        return [[0.0, 0.0, lay.far_y], [(end_y - lay.far_y) / speed, drift * (end_y - lay.far_y), end_y]]

    def path_hesitate(self, lay: Layout, speed: float, end_y: float, drift: float, kind: str) -> tuple[list, list]:
        """`turn-back`: walks up to the line, stands on it and walks away again (no crossing). `recross`: crosses,
        stops, steps back over the line, stands, and crosses again for good (one crossing)."""
        y_line = lay.line[1]
        u = self.rng.uniform
        if kind == "turn-back":
            y = y_line + float(u(-0.02, 0.025))
            t1 = (y - lay.far_y) / speed
            t2 = t1 + float(u(1.0, 3.0))
            x = drift * (y - lay.far_y)
            pts = [[0.0, 0.0, lay.far_y], [t1, x, y], [t2, x, y], [t2 + t1, x + float(self.rng.normal(0, 0.03)), lay.far_y]]
            return pts, ["front", "front", "back"]
        ya, yb = y_line + float(u(0.04, 0.08)), y_line - float(u(0.03, 0.06))
        t1 = (ya - lay.far_y) / speed
        t2 = t1 + float(u(0.4, 1.2))
        t3 = t2 + float(u(0.6, 1.2))
        t4 = t3 + float(u(0.5, 1.5))
        x = drift * (ya - lay.far_y)
        pts = [[0.0, 0.0, lay.far_y], [t1, x, ya], [t2, x, ya], [t3, x, yb], [t4, x, yb],
               [t4 + (end_y - yb) / speed, drift * (end_y - lay.far_y), end_y]]
        return pts, ["front"] * 5

    def formation(self, n: int) -> tuple[list[float], list[float]]:
        """Offsets across (face heights: shoulder to shoulder) and small start-time differences of a party."""
        spread = float(self.rng.uniform(1.0, 1.12))
        jitter = [0.0] + [float(self.rng.uniform(-0.2, 0.2)) for _ in range(n - 1)]
        return [o * spread for o in FORMATIONS[n]], jitter

    def members(self, party: list[Member], device: str, pts, facing, x0: float, offsets, jitter, tags,
                legs=()) -> list[Walk] | None:
        """The party's walks on a device, abreast: offsets across grow with the face (perspective)."""
        lay, W = layout_for(device), self.spec.width
        walks = []
        for m, o, j in zip(party, offsets, jitter):
            keys = [(t + j, x0 + x + o * (h := self.face_h(y, lay)) / W, y, h) for t, x, y in pts]
            if any(not 0.03 <= x <= 0.97 for _, x, y, _ in keys if y <= 0.85):  # face centres stay in the image
                return None
            walks.append(Walk(m.visitor, m.trip, device, m.sprite, keys, list(facing), style=m.style, legs=legs,
                              tags=list(tags)))
        return walks

    # --- placement -------------------------------------------------------------------------------------------------

    def fits(self, device: str, cand: list[Walk]) -> bool | None:
        """True if the walks touch nobody and keep the view within max_in_view; None if they end after the scene."""
        lo, hi = min(w.t0 for w in cand), max(w.t1 for w in cand)
        if hi > self.horizon:
            return None
        others = [o for o in self.placed.get(device, []) + self.pending if o.device == device and o.t1 > lo and o.t0 < hi]
        if self.spec.max_in_view:  # counted on the frames, as the truth does
            fps = self.spec.fps
            frames = np.arange(np.ceil(lo * fps), np.floor(hi * fps) + 1) / fps
            if len(frames) and in_view(others + cand, frames).max() > self.spec.max_in_view:
                return False
        return not any(touching(c, o, self.spec.width) for c in cand for o in others)

    def place(self, device: str, built: list[list[Walk] | None], t: float, max_wait: float) -> list[Walk] | None:
        """The first of the candidate parties (built at t=0) that fits at t, or after waiting up to max_wait."""
        built = [b for b in built if b]
        wait = 0.0
        while built and wait <= max_wait:
            for b in list(built):
                cand = [w.shifted(t + wait) for w in b]
                ok = self.fits(device, cand)
                if ok:
                    return cand
                if ok is None:
                    built.remove(b)
            wait += 0.25
        return None

    def across(self, n: int = 8) -> list[float]:
        return [float(x) for x in self.rng.uniform(0.15, 0.85, n)]

    # --- a party's walks on each kind of device ----------------------------------------------------------------------

    def walk_in(self, party: list[Member], device: str, t: float, end_y: float, hesitate: str | None,
                max_wait: float, extra=None, in_file: bool = False) -> list[Walk] | None:
        """In through the door towards the camera, to end_y (extra: more points after it, e.g. browsing). A party
        walks abreast, or in file: the second right behind the first (0.6-0.7 m), as fast, hidden by their head."""
        lay = layout_for(device)
        speed, drift = self.speed(lay), float(self.rng.normal(0, 0.06))
        tags = ["group"] if len(party) > 1 and not in_file else []
        if hesitate:
            pts, facing = self.path_hesitate(lay, speed, end_y, drift, hesitate)
            tags.append(hesitate)
        else:
            pts, facing = self.path_in(lay, speed, end_y, drift), ["front"]
            if not in_file:  # the one behind would walk into the one who stops
                self.maybe_pause(pts, facing, tags)
        legs = ()
        if extra and hesitate != "turn-back":
            pts, facing, legs = extra(pts, facing, speed)
        if in_file:
            offsets, jitter = [0.0, float(self.rng.normal(0, 0.1))], [0.0, float(self.rng.uniform(0.1, 0.12)) / speed]
        else:
            offsets, jitter = self.formation(len(party))
        built = [self.members(party, device, pts, facing, x0, offsets, jitter, tags, legs) for x0 in self.across()]
        placed = self.place(device, built, t, max_wait)
        if placed and in_file:
            placed[1].tags.append("tailgate")
        return placed

    def walk_out(self, party: list[Member], device: str, t: float, max_wait: float) -> list[Walk] | None:
        """Away from the camera (back of the head) from under it to the door."""
        lay = layout_for(device)
        speed, drift = self.speed(lay), float(self.rng.normal(0, 0.06))
        pts = [[0.0, 0.0, lay.near_y], [(lay.near_y - lay.far_y) / speed, drift * (lay.near_y - lay.far_y), lay.far_y]]
        facing, tags = ["back"], (["group"] if len(party) > 1 else [])
        self.maybe_pause(pts, facing, tags)
        offsets, jitter = self.formation(len(party))
        built = [self.members(party, device, pts, facing, x0, offsets, jitter, tags) for x0 in self.across()]
        return self.place(device, built, t, max_wait)

    def store_visit(self, party: list[Member], device: str, t: float, hesitate: str | None) -> list[Walk] | None:
        """In through the store door, browse the floor facing the camera for dwell_s, out (back of the head)."""
        lay = layout_for(device)
        browse_y = float(self.rng.uniform(0.55, 0.75))
        dwell = float(self.rng.uniform(*self.spec.dwell_s))
        moves = [(float(self.rng.uniform(2.0, 5.0)), float(self.rng.normal(0, 0.05)), float(self.rng.normal(0, 0.03)))
                 for _ in range(int(dwell / 2.0) + 1)]

        def browse(pts, facing, speed):
            t, end = pts[-1][0], pts[-1][0] + dwell
            for step, dx, dy in moves:
                if t >= end:
                    break
                t += min(step, end - t)
                pts.append([t, pts[-1][1] + dx, float(np.clip(pts[-1][2] + dy, 0.5, 0.8))])
                facing.append("front")
            leave = len(pts) - 1
            x, y = pts[-1][1], pts[-1][2]
            pts.append([t + (y - lay.far_y) / speed, x + float(self.rng.normal(0, 0.04)), lay.far_y])
            facing.append("back")
            return pts, facing, (leave,)

        return self.walk_in(party, device, t, browse_y, hesitate, 10.0, extra=browse)

    def display_pass(self, party: list[Member], device: str, t: float) -> list[Walk] | None:
        """Across the aisle in profile, a party abreast (one behind the other as the camera sees them: the nearer
        lower and larger); with look_prob, slowing down and facing the screen."""
        h0 = float(np.mean(self.spec.face_px)) * 0.8
        left = bool(self.rng.random() < 0.5)
        xa, xb = (-0.08, 1.08) if left else (1.08, -0.08)
        dur = float(self.rng.uniform(5.0, 7.0))
        look = float(self.rng.uniform(1.5, 4.0)) if self.rng.random() < self.spec.look_prob else None
        lags = [0.0] + [float(self.rng.uniform(-0.2, 0.2)) for _ in range(len(party) - 1)]

        def build(y0: float) -> list[Walk]:
            walks = []
            for i, (m, lag) in enumerate(zip(party, lags)):
                y, h = y0 + 0.1 * i, h0 * (1 + 0.15 * i)
                if look:
                    ta, tb = lag + dur * 0.35, lag + dur * 0.35 + look
                    keys = [(lag, xa, y, h), (ta, xa + 0.4 * (xb - xa), y, h), (tb, xa + 0.5 * (xb - xa), y, h),
                            (tb + dur * 0.45, xb, y, h)]
                    walks.append(Walk(m.visitor, m.trip, device, m.sprite, keys, ["side", "front", "side"],
                                      look=(ta, tb), style=m.style, tags=["group"] if len(party) > 1 else []))
                else:
                    walks.append(Walk(m.visitor, m.trip, device, m.sprite, [(lag, xa, y, h), (lag + dur, xb, y, h)],
                                      ["side"], style=m.style, tags=["group"] if len(party) > 1 else []))
            return walks

        ys = self.rng.uniform(0.45, 0.68 - 0.1 * (len(party) - 1), 6)
        return self.place(device, [build(float(y)) for y in ys], t, 10.0)

    def hesitation(self, party: list[Member]) -> str | None:
        if len(party) == 1 and self.spec.hesitate_prob and self.rng.random() < self.spec.hesitate_prob:
            return "turn-back" if self.rng.random() < 0.5 else "recross"
        return None

    def look_away(self, walks: list[Walk]) -> None:
        """turn_prob of the walks in: the head turns away (phone: `down`, sideways: `side`) for turn_s on the way in."""
        for w in walks:
            if not (self.spec.turn_prob and "front" in w.facing[:1] and self.rng.random() < self.spec.turn_prob):
                continue
            d = float(self.rng.uniform(*self.spec.turn_s))
            end = w.keys[w.legs[0]][0] if w.legs else w.t1
            if end - w.t0 <= d:
                continue
            ta = w.t0 + float(self.rng.uniform(0, end - w.t0 - d))
            w.turn_away(ta, ta + d, "down" if self.rng.random() < 0.5 else "side")
            w.tags.append("look-away")

    def party_trip(self, party: list[Member], t: float, quick: bool, in_file: bool) -> tuple[list[Walk], bool] | None:
        """Entrance in, stores and display (the party together), entrance out; None if it does not fit the scene."""
        self.pending = []
        hes = self.hesitation(party)
        first = self.walk_in(party, "entrance", t, layout_for("entrance").near_y, hes, 15.0, in_file=in_file)
        if first is None:
            return None
        self.pending += first
        if hes == "turn-back":
            return self.pending, False
        now = max(w.t1 for w in first)
        stops = [d for d in self.spec.devices if layout_for(d).role == "store" and self.rng.random() < self.spec.store_visit_prob]
        stops = [] if quick else [str(d) for d in self.rng.permutation(stops)]
        displays = [d for d in self.spec.devices if layout_for(d).role == "display"]
        if displays and not quick and self.rng.random() < self.spec.display_pass_prob:
            stops.insert(int(self.rng.integers(0, len(stops) + 1)), displays[0])
        for stop in stops:
            now += float(self.rng.uniform(*self.spec.away_s))
            if layout_for(stop).role == "display":
                ws = self.display_pass(party, stop, now)
            else:
                ws = self.store_visit(party, stop, now, self.hesitation(party))
            if ws:  # else the party went elsewhere: that view was too full
                self.pending += ws
                now = max(w.t1 for w in ws)
        now += float(self.rng.uniform(*self.spec.away_s))
        out = self.walk_out(party, "entrance", now, self.horizon)
        if out is None:
            return None
        self.pending += out
        return self.pending, True

    def plan(self) -> list[dict]:
        spec, rng = self.spec, self.rng
        ids = list(self.faces.identities)
        fresh = [ids[i] for i in rng.permutation(len(ids))[: self.n_visitors()]]
        people: dict[str, dict] = {}  # visitor id -> identity, photo order, style, trips
        due: list[tuple[float, str]] = []  # returning visitors: (from when, id)
        gap = 60.0 / spec.entries_per_min
        t = 1.0 + float(rng.gamma(2.0, gap / 2))
        while t < self.horizon - 3.0:
            ready = sorted(d for d in due if d[0] <= t)
            if ready:
                due.remove(ready[0])
                party, in_file = [ready[0][1]], False
            elif fresh:
                size, in_file = 1, False
                if spec.group_prob and rng.random() < spec.group_prob:
                    size = int(rng.integers(spec.group_size[0], spec.group_size[1] + 1))
                elif spec.tailgate_prob and len(fresh) > 1 and rng.random() < spec.tailgate_prob:
                    size, in_file = 2, True
                party = []
                for identity in fresh[:size]:
                    v = f"v{len(people) + 1:02d}"
                    photos = self.faces.identities[identity]
                    people[v] = {"identity": identity, "order": [int(i) for i in rng.permutation(len(photos))],
                                 "style": self.style(), "trips": []}
                    party.append(v)
                del fresh[:size]
            elif due:
                t = min(due)[0]
                continue
            else:
                break
            members = [Member(v, len(people[v]["trips"]), self.faces.identities[people[v]["identity"]][
                people[v]["order"][len(people[v]["trips"])]], people[v]["style"]) for v in party]
            done = self.party_trip(members, t, False, in_file) or self.party_trip(members, t, True, in_file)
            if not done:  # the view stayed full (or the scene ends): they try again a little later
                if ready:
                    due.append((t + 3.0, party[0]))
                else:
                    fresh[:0] = [people.pop(v)["identity"] for v in party]
            if done:
                walks, entered = done
                group = None
                if len(party) > 1:
                    self.n_groups += 1
                    group = f"g{self.n_groups:02d}"
                self.look_away([w for w in walks if w.device != "display"])
                for w in walks:
                    self.placed.setdefault(w.device, []).append(w)
                self.walks += walks
                for m in members:
                    mine = [w for w in walks if w.visitor == m.visitor]
                    arrive, leave = min(w.t0 for w in mine), max(w.t1 for w in mine)
                    p = people[m.visitor]
                    p["trips"].append(trip_record(m.sprite.photo, arrive, leave, entered, group))
                    more = len(p["trips"]) < min(spec.max_trips, len(p["order"]))
                    if more and rng.random() < spec.return_fraction:
                        due.append((leave + float(rng.uniform(5.0, 20.0)), m.visitor))
            if not done or not done[1]:  # nobody came in (a turn-back is no entry): the next one comes soon
                t += float(rng.uniform(0.5, 1.5))
            else:
                t += float(np.sum(rng.gamma(2.0, gap / 2, len(party))))  # steadier than a Poisson stream
        self.pending = []
        return [{"id": v, "identity": p["identity"], "trips": p["trips"]} for v, p in people.items()]
