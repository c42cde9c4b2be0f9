"""Per-interval floor grid from tracks: person-seconds and first-touch tracks per cell, and what goes on the wire."""
import json

import numpy as np
import pytest

from footfall.edge.capture.frame import Frame
from footfall.edge.config import EdgeConfig
from footfall.edge.events.aggregator import EventAggregator
from footfall.edge.heatmap.accumulate import floor_point
from footfall.edge.track.bodies import TrackedBody
from footfall.edge.track.tracker import FinishedTrack, TrackedFace, Tracks
from footfall.protocol import MAX_PAYLOAD_BYTES, CountsMessage, FloorGrid, decode, encode

W, H = 1000, 1000
# the whole image is a 10 x 10 m floor seen straight from above (feet below the image fall off the floor)
HEATMAP = {"grid": [10, 10], "floor_size": [10, 10], "image_points": [[0, 0], [1, 0], [1, 1], [0, 1]],
           "floor_points": [[0, 0], [10, 0], [10, 10], [0, 10]]}


def cfg(person=False, **kw):
    base = dict(site="s", device="d", role="store", timezone="UTC", privacy={"level": "counts"}, camera={"source": "x"},
                heatmap=HEATMAP, interval_s=60, detector={"person": {"enabled": person}})
    base.update(kw)
    return EdgeConfig.model_validate(base)


def body(tid, fx, fy, state="active"):
    """A body box whose feet stand at (fx, fy) normalised."""
    return TrackedBody(tid, state, np.array([fx * W - 30, fy * H - 300, fx * W + 30, fy * H], np.float32), 0.9)


def feed(agg, ts, tracks, finished=()):
    out = agg.advance(ts)
    agg.update(Tracks(Frame(np.zeros((H, W, 3), np.uint8), ts, 0, ""), tracks, list(finished)))
    return out


def test_face_mode_puts_the_feet_below_the_face():
    box = np.array([480, 100, 520, 140])  # a 40 px face centred at y = 120
    assert floor_point(box, W, H, False, 7.4) == pytest.approx((0.5, (120 + 7.4 * 40) / H))
    assert floor_point(box, W, H, True, 7.4) == pytest.approx((0.5, 0.14))  # person mode: the body box's bottom


def test_person_seconds_and_first_touch_tracks_per_cell():
    agg = EventAggregator(cfg(person=True))
    # 10 fps: track 1 stands in cell (2, 3) for 30 s across an interval boundary, track 2 walks through it once,
    # track 3 is lost (predicted only) in cell (7, 7) and adds nothing
    t0 = 1_800_000_000 - 1_800_000_000 % 60 + 45
    out = []
    for i in range(300):
        ts = t0 + i / 10
        live = [body(1, 0.25, 0.35), body(3, 0.75, 0.75, state="lost")]
        if 100 <= i < 120:
            live.append(body(2, 0.1 + (i - 100) * 0.02, 0.35))  # 2 s from x = 1 m to 4.8 m along row 3
        out += feed(agg, ts, live)
    out += agg.flush()
    assert len(out) == 2
    grids = [dict((c, (s, n)) for c, s, n in o["floor"].cells) for o in out]
    cell = 3 * 10 + 2
    assert grids[0][cell][0] + grids[1][cell][0] == pytest.approx(29.9 + 0.5, abs=0.15)  # t1 all along, t2 ~0.5 s
    assert grids[0][cell][1] + grids[1][cell][1] == 2  # t1 counted once although it stood there in both intervals
    assert grids[1].get(cell, (0, 0))[1] == 0
    assert 7 * 10 + 7 not in grids[0] and 7 * 10 + 7 not in grids[1]
    row3 = {c for g in grids for c in g if c // 10 == 3}
    assert row3 == {31, 32, 33, 34}  # track 2's path, x 1 .. 4.8 m
    assert sum(s for g in grids for c, (s, _) in g.items() if c // 10 != 3) == 0


def test_a_finished_track_forgets_its_cells():
    agg = EventAggregator(cfg(person=True))
    ts = 1_800_000_000.0
    feed(agg, ts, [body(1, 0.25, 0.35)])
    assert agg.floor.touched == {1: {32}}
    agg.finish(FinishedTrack(1, ts, ts + 0.1, np.zeros((0, 4))))  # what the pipeline calls when the track ends
    assert agg.floor.touched == {}


def test_the_wire_carries_the_grid_and_nothing_per_person():
    agg = EventAggregator(cfg())
    t0 = 1_800_000_000 - 1_800_000_000 % 60
    for i in range(50):
        face = TrackedFace(7, "active", np.array([480, 100 + 4 * i, 520, 140 + 4 * i], np.float32), None, 0.9)
        feed(agg, t0 + i / 10, [face])
    fields = agg.flush()[0]
    msg = CountsMessage(site="s", device="d", seq=0, ts=fields["interval_start"], **fields)
    payload = encode(msg)
    floor = json.loads(payload)["floor"]
    assert set(floor) == {"grid", "cells"} and floor["grid"] == [10, 10]
    assert all(len(c) == 3 for c in floor["cells"]) and sum(c[2] for c in floor["cells"]) >= 2
    assert b'"track' not in payload.replace(b'"tracks', b"") and b'"7"' not in payload  # no track id anywhere
    assert decode(payload) == msg


def test_the_wire_refuses_cells_off_the_grid_or_too_many():
    base = json.loads(encode(CountsMessage(site="s", device="d", seq=0, ts="2026-11-20T10:00:00Z",
                                           interval_start="2026-11-20T10:00:00Z", interval_s=60)))
    with pytest.raises(ValueError, match="off the 4 x 4 grid"):
        decode(json.dumps({**base, "floor": {"grid": [4, 4], "cells": [[16, 1.0, 1]]}}))
    with pytest.raises(ValueError, match="floor.cells"):
        decode(json.dumps({**base, "floor": {"grid": [24, 16], "cells": [[i % 384, 1.0, 1] for i in range(385)]}}))


def test_a_full_grid_fits_a_message():
    full = FloorGrid(grid=(24, 16), cells=[(i, 3599.99, 10_000) for i in range(384)])
    msg = CountsMessage(site="s", device="d", seq=0, ts="2026-11-20T10:01:00Z", interval_start="2026-11-20T10:00:00Z",
                        interval_s=3600, floor=full)
    assert len(encode(msg)) < MAX_PAYLOAD_BYTES / 4 and decode(encode(msg)) == msg
