"""Visitor itineraries through the mall, turned into per-device walks (keyframes) and the ground truth."""
from __future__ import annotations

from dataclasses import dataclass, field

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
    facing: list[str]  # per segment between keys: front | back | side
    look: tuple[float, float] | None = None
    style: dict = field(default_factory=dict)

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

    def crossing(self, y_line: float) -> tuple[float, str] | None:
        """Time and direction the face centre crosses the horizontal line y (first crossing)."""
        for (ta, _, ya, _), (tb, _, yb, _) in zip(self.keys, self.keys[1:]):
            if (ya - y_line) * (yb - y_line) < 0:
                return ta + (y_line - ya) / (yb - ya) * (tb - ta), "in" if yb > ya else "out"
        return None


class Planner:
    def __init__(self, spec, faces: FaceLibrary):
        self.spec = spec
        self.rng = np.random.default_rng(spec.seed)
        self.faces = faces
        self.busy: dict[tuple[str, float], list[tuple[float, float]]] = {}
        self.walks: list[Walk] = []

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
        keys += out.keys[1:]
        facing += out.facing
        return [Walk(v, trip, device, sprite, keys, facing, style=style)]

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
        if spec.visitors > len(ids):
            raise ValueError(f"{spec.visitors} visitors need as many identities; {self.faces.root} has {len(ids)} usable")
        chosen = [ids[i] for i in rng.permutation(len(ids))[: spec.visitors]]
        horizon = spec.duration_s - 1.0
        visitors = []
        arrivals = np.sort(rng.uniform(1.0, max(2.0, spec.duration_s * 0.45), spec.visitors))
        for n, (identity, arrive) in enumerate(zip(chosen, arrivals)):
            v = f"v{n + 1:02d}"
            photos = self.faces.identities[identity]
            order = rng.permutation(len(photos))
            style = {"shirt": tuple(int(c) for c in rng.integers(30, 230, 3)),
                     "trousers": tuple(int(c) for c in rng.integers(20, 120, 3)),
                     "hair": tuple(int(c) for c in rng.choice([(20, 20, 25), (30, 45, 70), (60, 110, 160), (90, 90, 95)])),
                     "gain": float(rng.uniform(*spec.lighting)),
                     "blur": float(rng.uniform(0, spec.blur))}
            saved = {k: list(s) for k, s in self.busy.items()}
            walks, leave = self.trip(v, 0, photos[order[0]], float(arrive), style)
            if leave > horizon:  # keep scenes whole: a visitor who cannot finish is not rendered
                self.busy = saved
                continue
            trips = [{"photo": photos[order[0]].photo, "arrive": float(arrive), "leave": leave}]
            self.walks += walks
            if len(photos) > 1 and rng.random() < spec.return_fraction:
                again = leave + float(rng.uniform(5.0, 20.0))
                for quick in (False, True):  # a full second trip if it fits the scene, else a quick one
                    saved = {k: list(s) for k, s in self.busy.items()}
                    walks2, leave2 = self.trip(v, 1, photos[order[1]], again, style, quick=quick)
                    if leave2 <= horizon:
                        self.walks += walks2
                        trips.append({"photo": photos[order[1]].photo, "arrive": again, "leave": leave2})
                        break
                    self.busy = saved
            visitors.append({"id": v, "identity": identity, "trips": trips})
        return visitors
