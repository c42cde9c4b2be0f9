import numpy as np
import pytest

from footfall.edge.capture.frame import Frame
from footfall.edge.config import EdgeConfig
from footfall.edge.events.aggregator import EventAggregator
from footfall.edge.events.geometry import CountingLine
from footfall.edge.track.tracker import FinishedTrack, TrackedFace, Tracks

W, H = 1000, 1000


def cfg(**kw):
    base = dict(site="s", device="d", role="store", timezone="UTC", privacy={"level": "counts"}, camera={"source": "x"},
                lines=[{"id": "door", "a": [0.0, 0.5], "b": [1.0, 0.5]}],
                zones=[{"id": "floor", "polygon": [[0, 0.5], [1, 0.5], [1, 1], [0, 1]]}], interval_s=60)
    base.update(kw)
    return EdgeConfig.model_validate(base)


def face(tid, y, x=0.5, state="active", kps=None):
    box = np.array([x * W - 20, y * H - 20, x * W + 20, y * H + 20], np.float32)
    return TrackedFace(tid, state, box, kps, 0.9)


def feed(agg, ts, faces, finished=()):
    img = np.zeros((H, W, 3), np.uint8)
    out = agg.advance(ts)
    agg.update(Tracks(Frame(img, ts, 0, ""), faces, list(finished)))
    return out


def test_line_direction_and_hysteresis():
    line = CountingLine("l", (0, 0.5), (1, 0.5), margin=0.02)
    assert line.side((0.5, 0.6)) == 1 and line.side((0.5, 0.4)) == -1 and line.side((0.5, 0.51)) == 0
    assert not line.within_extent((1.5, 0.6))


def test_jitter_on_the_line_counts_once():
    agg = EventAggregator(cfg())
    ys = [0.3, 0.45, 0.49, 0.51, 0.49, 0.515, 0.53, 0.49, 0.6, 0.8]
    for i, y in enumerate(ys):
        feed(agg, 120 + i * 0.1, [face(1, y)])
    assert agg.current.lines["door"] == [1, 0]
    for i, y in enumerate(reversed(ys)):  # walks back out 5 s later: a second crossing
        feed(agg, 126 + i * 0.1, [face(1, y)])
    assert agg.current.lines["door"] == [1, 1]


def test_stepping_over_the_line_and_back_counts_nothing():
    agg = EventAggregator(cfg())
    for i, y in enumerate([0.3, 0.45, 0.56, 0.6, 0.6, 0.55, 0.44, 0.3]):  # hesitates past the line, turns back
        feed(agg, 120 + i * 0.3, [face(1, y)])
    assert agg.current.lines["door"] == [0, 0]
    assert agg.crossings["withdrawn"] == 1


def test_predicted_positions_do_not_count():
    agg = EventAggregator(cfg())
    feed(agg, 120.0, [face(1, 0.3)])
    feed(agg, 120.1, [face(1, 0.7, state="lost")])
    assert agg.current.lines["door"] == [0, 0]


def test_zone_entries_exits_dwell_and_interval_rollover():
    agg = EventAggregator(cfg())
    feed(agg, 100.0, [face(1, 0.3), face(2, 0.8)])  # 2 is already inside
    feed(agg, 110.0, [face(1, 0.7), face(2, 0.8)])
    closed = feed(agg, 125.0, [face(1, 0.7)])  # interval 60..120 closes; 2 is gone
    assert len(closed) == 1
    z = closed[0]["zones"][0]
    assert (z.entries, z.exits, z.occupancy_max) == (2, 0, 2)
    visit = agg.finish(FinishedTrack(2, 100.0, 110.0, np.zeros((1, 4))))
    assert visit.zone == "floor"
    feed(agg, 130.0, [face(1, 0.3)])  # 1 walks out of the zone after 20 s inside
    z = agg.flush()[0]["zones"][0]
    assert z.exits == 2 and z.dwell_n == 2 and z.dwell_s_sum == pytest.approx(10.0 + 20.0)


def test_counts_are_stamped_with_the_interval_start():
    agg = EventAggregator(cfg())
    feed(agg, 59.9, [])
    assert [c["interval_start"].timestamp() for c in feed(agg, 60.0, [])] == [0.0]  # an empty interval is reported
    feed(agg, 119.9, [])
    # no frame for two whole intervals (a stalled camera): those are a gap, not zeros nobody observed
    closed = feed(agg, 245.0, [])
    assert [c["interval_start"].timestamp() for c in closed] == [60.0]
    assert agg.current.start == 240.0


def test_display_attention():
    c = cfg(role="display", lines=[], zones=[{"id": "aisle", "polygon": [[0, 0], [1, 0], [1, 1], [0, 1]]}],
            displays=[{"id": "screen", "zone": "aisle"}])
    agg = EventAggregator(c)
    frontal = np.array([[480, 480], [520, 480], [500, 500], [500, 520], [470, 485], [530, 485]], np.float32) * 1.0
    frontal = (frontal - 500) * 2 + 500  # eye distance 80 px: full size
    for i in range(15):  # 1.5 s looking
        feed(agg, 200 + i * 0.1, [face(1, 0.5, kps=frontal), face(2, 0.5, x=0.2)])
    d = agg.current.displays["screen"]
    assert len(d["passers"]) == 2 and d["viewers"] == {1} and d["look_s"] == pytest.approx(1.4)


@pytest.mark.parametrize("first_y", [0.56, 0.505])  # past the line; on it, inside its hysteresis band
def test_a_walker_first_seen_just_past_the_line_crossed_it_unseen(first_y):
    agg = EventAggregator(cfg())
    for i, y in enumerate([first_y, 0.62, 0.7, 0.78, 0.86]):  # face found only after the line, then walks on in
        feed(agg, 120 + i * 0.2, [face(1, y)])
    assert agg.current.lines["door"] == [0, 0]  # nothing seen crossing while it is in view
    track = FinishedTrack(1, 120.0, 120.8, np.zeros((5, 4)))
    feed(agg, 121.0, [], [track])
    agg.finish(track)
    assert agg.current.lines["door"] == [1, 0]
    assert agg.crossings["uncertain"] == 1


def test_a_walker_first_seen_just_past_a_store_door_who_browses_back_towards_it_walked_in():
    """A face turned away over the door, seen once inside: how far they walked in, not where they were last seen,
    says they walked on (a shopper browses back towards the door)."""
    agg = EventAggregator(cfg())
    ys = [0.56, 0.65, 0.75, 0.8, 0.72, 0.64, 0.6]
    for i, y in enumerate(ys):
        feed(agg, 120 + i * 0.5, [face(1, y)])
    path = np.array([[120 + i * 0.5, 0.5 * W, y * H, 40.0] for i, y in enumerate(ys)])
    track = FinishedTrack(1, 120.0, 123.0, path)
    feed(agg, 123.5, [], [track])
    agg.finish(track)
    assert agg.current.lines["door"] == [1, 0]


def test_pausing_on_the_line_before_turning_back_counts_nothing():
    agg = EventAggregator(cfg())
    ys = [0.3, 0.45, 0.54] + [0.54] * 20 + [0.46, 0.4, 0.3]  # over the line, stands there 4 s, turns back
    for i, y in enumerate(ys):
        feed(agg, 120 + i * 0.2, [face(1, y)])
    assert agg.current.lines["door"] == [0, 0] and agg.crossings["withdrawn"] == 1


def test_a_face_that_stands_just_over_the_line_and_vanishes_turned_back():
    """The back of a head is no face: someone who steps onto the line, stands and turns round is lost standing
    there. The step over is withdrawn; found again walking on, the same track counts then."""
    agg = EventAggregator(cfg())
    for i, y in enumerate([0.3, 0.4, 0.48, 0.53] + [0.53] * 10):  # 0.03 over the line, stands 1 s
        feed(agg, 120 + i * 0.1, [face(1, y)])
    assert agg.current.lines["door"] == [1, 0]
    feed(agg, 121.5, [face(1, 0.53, state="lost")])
    assert agg.current.lines["door"] == [0, 0] and agg.crossings["withdrawn"] == 1
    for i, y in enumerate([0.56, 0.62, 0.7]):
        feed(agg, 122 + i * 0.1, [face(1, y)])
    assert agg.current.lines["door"] == [1, 0]


def test_a_walker_lost_just_over_the_line_while_walking_on_still_counts():
    agg = EventAggregator(cfg())
    for i, y in enumerate([0.40, 0.44, 0.48, 0.52, 0.53, 0.54, 0.55]):  # slowing, but still at a walk (0.1 / s)
        feed(agg, 120 + i * 0.1, [face(1, y)])
    feed(agg, 120.7, [face(1, 0.56, state="lost")])
    assert agg.current.lines["door"] == [1, 0] and agg.crossings["withdrawn"] == 0


def test_a_walker_first_seen_far_past_the_line_or_standing_is_not_counted():
    agg = EventAggregator(cfg())
    for tid, ys in ((1, [0.75, 0.8, 0.9, 0.95]), (2, [0.56, 0.57, 0.56, 0.58])):  # came from the side; lingers
        for i, y in enumerate(ys):
            feed(agg, 120 + i * 0.2, [face(tid, y)])
        agg.finish(FinishedTrack(tid, 120.0, 120.6, np.zeros((4, 4))))
    assert agg.current.lines["door"] == [0, 0]


def test_a_clock_step_forward_reports_the_open_interval_and_no_unobserved_ones():
    agg = EventAggregator(cfg())
    feed(agg, 120.0, [face(1, 0.3)])
    feed(agg, 121.0, [face(1, 0.6)])  # in
    out = feed(agg, 121.0 + 3600, [])  # the wall clock jumps an hour ahead
    assert [m["interval_start"].timestamp() for m in out] == [120.0]
    assert out[0]["lines"][0].in_ == 1
    assert agg.current.start == 3720.0
    assert [m["interval_start"].timestamp() for m in feed(agg, 3781.0, [])] == [3720.0]  # then one per interval again


def staffed_cfg():
    return cfg(privacy={"level": "site"}, site_secret={"file": "/dev/null"},
               recognition={"key": {"file": "/dev/null"}, "staff": {}})


def test_staff_leave_the_counts_and_waits_are_measured():
    agg = EventAggregator(staffed_cfg())
    # customer 1 walks in over the door into the floor zone; staff member 2 too, then is recognised as staff
    for i, y in enumerate([0.3, 0.45, 0.55, 0.7]):
        feed(agg, 120 + i * 0.5, [face(1, y, x=0.3), face(2, y, x=0.7)])
    assert agg.current.lines["door"] == [2, 0] and agg.current.zones["floor"]["entries"] == 2
    agg.exclude_staff(2)
    assert agg.current.lines["door"] == [1, 0] and agg.current.zones["floor"]["entries"] == 1
    # staff 2 stays on the floor: customer 3 who comes in now waits 0 s; staff leave, customer 4 waits 3 s until back
    for i in range(4):
        feed(agg, 122 + i, [face(1, 0.7, x=0.3), face(2, 0.8, x=0.7), face(3, 0.75, x=0.5)])
    for i in range(3):
        feed(agg, 126 + i, [face(4, 0.75, x=0.5)])
    feed(agg, 129, [face(4, 0.75, x=0.5), face(2, 0.8, x=0.7)])
    # customer 5 is on the floor alone and leaves unattended
    feed(agg, 130, [face(5, 0.75, x=0.5)])
    feed(agg, 131, [])
    (counts,) = agg.flush()
    (floor,) = counts["zones"]
    assert counts["lines"][0].in_ == 1  # customer 1 over the door, not staff 2 (3, 4, 5 started inside)
    assert counts["staff"].people == 1 and counts["staff"].present_s > 3
    # customer 1 (on the floor from 121.0) was reached when staff 2 counted as staff (122); 3 at once; 4 after 3 s
    assert floor.staff_wait_n == 3 and floor.staff_wait_s_sum == pytest.approx(1.0 + 0.0 + 3.0)
    assert floor.unattended == 1


def walk(agg, tid, ys, t0, dt=0.1, x=0.5):
    """Feed one track's detections and return its FinishedTrack (path in pixels, as the tracker makes it)."""
    for i, y in enumerate(ys):
        feed(agg, t0 + i * dt, [face(tid, y, x=x)])
    return FinishedTrack(tid, t0, t0 + (len(ys) - 1) * dt,
                         np.array([(t0 + i * dt, x * W, y * H, 40.0) for i, y in enumerate(ys)]))


def test_a_walker_hidden_just_short_of_the_line_crossed_it_unseen():
    agg = EventAggregator(cfg())
    track = walk(agg, 1, [0.2 + 0.03 * i for i in range(10)], 120.0)  # 0.3 per second, last seen at 0.47
    feed(agg, 122.0, [])  # hidden behind the person in front from here on
    assert agg.current.lines["door"] == [0, 0]
    agg.finish(track)
    assert agg.current.lines["door"] == [1, 0] and agg.crossings["uncertain"] == 1


def test_a_walker_who_stops_short_of_the_line_and_vanishes_did_not_cross():
    agg = EventAggregator(cfg())  # walks up, stands on the near side 1 s (hesitates), turns away and goes back
    track = walk(agg, 1, [0.2 + 0.04 * i for i in range(7)] + [0.45] * 10, 120.0)
    agg.finish(track)
    far = walk(agg, 2, [0.2 + 0.03 * i for i in range(6)], 130.0)  # vanished far from the line: not counted either
    agg.finish(far)
    assert agg.current.lines["door"] == [0, 0]


def test_a_walker_first_seen_on_the_line_who_steps_back_and_forth_counts_once_when_they_walk_on():
    agg = EventAggregator(cfg())  # found on the line, over it, back over it, a second on the line, then in for good
    ys = [0.505, 0.53, 0.56, 0.52, 0.47, 0.46] + [0.5] * 10 + [0.53 + 0.04 * i for i in range(8)]
    track = walk(agg, 1, ys, 120.0)
    agg.finish(track)
    assert agg.current.lines["door"] == [1, 0]
    (crossing,) = [c for c in agg.same_walker._recent if c.line == "door"]
    assert crossing.ts == pytest.approx(121.5)  # when it left the line for good, not when it was first seen (120.0)


def test_a_walker_hidden_on_the_line_inside_its_band_crossed_it_unseen():
    agg = EventAggregator(cfg())  # last seen at 0.51: over the line's centre, not yet clear of its 0.02 band
    track = walk(agg, 1, [0.21 + 0.03 * i for i in range(11)], 120.0)
    feed(agg, 122.0, [])
    assert agg.current.lines["door"] == [0, 0]
    agg.finish(track)
    assert agg.current.lines["door"] == [1, 0] and agg.crossings["uncertain"] == 1


def test_a_walker_who_stands_on_the_line_and_vanishes_did_not_cross():
    agg = EventAggregator(cfg())  # walks onto the line, stands in its band 1 s (hesitates), turns round
    track = walk(agg, 1, [0.27 + 0.04 * i for i in range(7)] + [0.51] * 10, 120.0)
    agg.finish(track)
    assert agg.current.lines["door"] == [0, 0]


def test_a_walker_lost_short_of_the_line_then_found_standing_on_it_counts_only_by_walking_on():
    """Lost just short of the line at a walking pace, a walker counts as crossed hidden. A new track finding them
    standing on the line where they were lost, a moment later, shows they had stopped: that count is withdrawn,
    and the new track counts only if it walks on in (turning back counts nothing either way)."""
    stand, walk_on, turn_back = [0.495] * 12, [0.495] * 6 + [0.52 + 0.04 * i for i in range(8)], \
        [0.495] * 6 + [0.47 - 0.04 * i for i in range(6)]
    for then, counted in ((stand, [0, 0]), (walk_on, [1, 0]), (turn_back, [0, 0])):
        agg = EventAggregator(cfg())
        agg.finish(walk(agg, 1, [0.22 + 0.03 * i for i in range(10)], 120.0))  # lost at 0.49, 120.9
        assert agg.current.lines["door"] == [1, 0]
        agg.finish(walk(agg, 2, then, 122.0))
        assert agg.current.lines["door"] == counted, then
    # found walking on rather than standing: that is the walker who crossed hidden, counted once
    agg = EventAggregator(cfg())
    agg.finish(walk(agg, 1, [0.22 + 0.03 * i for i in range(10)], 120.0))
    agg.finish(walk(agg, 2, [0.495 + 0.03 * i for i in range(10)], 121.3))
    assert agg.current.lines["door"] == [1, 0] and agg.crossings["withdrawn"] == 0


def test_standing_on_a_doors_threshold_and_turning_back_is_no_visit_to_the_zone_behind_it():
    """The floor zone starts at the door's line. Someone who steps onto the line (inside its band) and turns back
    neither crossed nor entered: no entry, no occupancy, no zone on the visit. One who steps over it and back is no
    visit either; a shopper inside who steps out and back still is. Walking on in, they enter."""
    agg = EventAggregator(cfg())
    up, back = [0.3 + 0.04 * i for i in range(6)], [0.45 - 0.04 * i for i in range(4)]
    hesitant = walk(agg, 1, up + [0.51] * 10 + back, 120.0)
    assert agg.current.zones["floor"]["entries"] == 0 and agg.current.zones["floor"]["occ_max"] == 0
    assert agg.finish(hesitant).zone is None and agg.current.lines["door"] == [0, 0]
    assert agg.finish(walk(agg, 3, up + [0.54] * 10 + back, 121.0)).zone is None  # over and back
    inside = walk(agg, 4, [0.8 - 0.05 * i for i in range(7)] + [0.47] * 3 + [0.6 + 0.05 * i for i in range(4)], 122.0)
    assert agg.finish(inside).zone == "floor" and agg.current.lines["door"] == [0, 0]
    entries, dwell = agg.current.zones["floor"]["entries"], agg.current.zones["floor"]["dwell_sum"]
    walker = walk(agg, 2, up + [0.51] * 5 + [0.55 + 0.04 * i for i in range(5)], 125.0)
    visit = agg.finish(walker)
    assert (visit.zone, visit.direction, agg.current.zones["floor"]["entries"] - entries) == ("floor", "in", 1)
    # their stay began when they stepped onto the line (125.5), not when they left its band (126.1)
    assert agg.current.zones["floor"]["dwell_sum"] - dwell == pytest.approx(126.5 - 125.5)


def test_one_walker_in_two_tracks_counts_once_and_a_tailgater_counts_too():
    agg = EventAggregator(cfg())
    before = walk(agg, 1, [0.2 + 0.03 * i for i in range(10)], 120.0)  # vanishes at 0.47
    after = walk(agg, 2, [0.53 + 0.03 * i for i in range(10)], 121.2)  # reappears past the line, not joined
    agg.finish(after)
    agg.finish(before)
    assert agg.current.lines["door"] == [1, 0]
    # a tailgater vanishes behind the leader, who is in view with them and crosses at the same spot: two walkers
    agg = EventAggregator(cfg())
    for i in range(10):
        feed(agg, 120.0 + i * 0.1, [face(1, 0.35 + 0.03 * i), face(2, 0.2 + 0.03 * i)])
    assert agg.current.lines["door"] == [1, 0]
    agg.finish(FinishedTrack(2, 120.0, 120.9, np.array([(120.0 + i * 0.1, 500.0, (0.2 + 0.03 * i) * H, 40.0)
                                                      for i in range(10)])))
    assert agg.current.lines["door"] == [2, 0]


def test_the_next_walker_through_the_same_spot_is_not_the_hidden_one():
    agg = EventAggregator(cfg())
    hidden = walk(agg, 1, [0.2 + 0.03 * i for i in range(10)], 120.0)  # vanishes at 0.47 at 120.9
    nxt = walk(agg, 2, [0.25 + 0.03 * i for i in range(20)], 121.0)  # in from the door behind, crosses at ~121.9
    assert agg.current.lines["door"] == [1, 0]
    agg.finish(hidden)
    agg.finish(nxt)
    assert agg.current.lines["door"] == [2, 0]


def test_a_walker_who_showed_a_face_only_well_past_the_line_crossed_it_unseen():
    """Head turned away over the line (or behind someone), the face first seen a quarter of the image past it,
    walking on towards the camera: they crossed. The same walker counted already, found again deeper by a track of
    its own, is not counted twice; someone walking in from the side of the image, or standing, did not cross."""
    agg = EventAggregator(cfg())
    agg.finish(walk(agg, 1, [0.75 + 0.025 * i for i in range(8)], 120.0))
    assert agg.current.lines["door"] == [1, 0] and agg.crossings["uncertain"] == 1
    agg = EventAggregator(cfg())
    agg.finish(walk(agg, 1, [0.3 + 0.03 * i for i in range(12)], 120.0))  # crosses at 120.7, lost at 0.63
    agg.finish(walk(agg, 2, [0.72 + 0.03 * i for i in range(6)], 121.6))
    assert agg.current.lines["door"] == [1, 0]
    agg = EventAggregator(cfg())
    for tid, ys, xs in ((1, [0.75 + 0.025 * i for i in range(8)], [0.03 + 0.06 * i for i in range(8)]),
                        (2, [0.75, 0.76, 0.75, 0.76, 0.75, 0.76], [0.5] * 6)):
        for i, (x, y) in enumerate(zip(xs, ys)):
            feed(agg, 120 + i * 0.1, [face(tid, y, x=x)])
        path = np.array([(120 + i * 0.1, x * W, y * H, 40.0) for i, (x, y) in enumerate(zip(xs, ys))])
        agg.finish(FinishedTrack(tid, 120.0, 120.0 + 0.1 * (len(ys) - 1), path))
    assert agg.current.lines["door"] == [0, 0]


def test_a_tailgater_first_seen_as_the_person_in_front_walks_out_of_view_crossed_hidden():
    """Hidden behind the person in front all the way, a tailgater's face shows only when that one walks out of view
    at the bottom: first seen there, far past the line, just after and at the same spot. Someone first seen there
    later, or elsewhere, is not counted."""
    # 0.75 s after: a slow pair (0.65 m apart at 0.8 m/s); 1.3 s after: someone else
    for start, x, counted in ((121.7, 0.5, [2, 0]), (122.05, 0.5, [2, 0]), (122.6, 0.5, [1, 0]), (121.7, 0.6, [1, 0])):
        agg = EventAggregator(cfg())
        front = walk(agg, 1, [0.3 + 0.05 * i for i in range(14)], 120.0)  # crosses at 120.4, last seen 121.3 at 0.95
        feed(agg, 121.4, [face(1, 0.96, state="lost")])
        agg.finish(front)
        assert agg.current.lines["door"] == [1, 0]
        agg.finish(walk(agg, 2, [0.95, 0.96, 0.96], start, x=x))
        assert agg.current.lines["door"] == counted, (start, x)
    # mid-frame, a new track where the front one was just lost is more often that one found again: not counted
    agg = EventAggregator(cfg())
    front = walk(agg, 1, [0.3 + 0.05 * i for i in range(9)], 120.0)  # last seen 120.8 at 0.7
    agg.finish(front)
    agg.finish(walk(agg, 2, [0.7, 0.72, 0.74], 121.1))
    assert agg.current.lines["door"] == [1, 0]
    # the one behind was seen crossing just after the front one (then lost in the crowd): they are not counted twice
    agg = EventAggregator(cfg())
    front = walk(agg, 1, [0.3 + 0.05 * i for i in range(14)], 120.0)
    agg.finish(walk(agg, 3, [0.4, 0.45, 0.5, 0.55, 0.6, 0.65], 120.5))  # crosses at 120.8
    agg.finish(front)
    agg.finish(walk(agg, 2, [0.95, 0.96, 0.96], 121.7))
    assert agg.current.lines["door"] == [2, 0]
