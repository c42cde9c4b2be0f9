"""Person mode: motion gating and the detector's schedule, body tracks carried between detector runs, faces attached
to the body they belong to, and the whole pipeline counting both directions with a code only where a face was seen."""
import numpy as np
import pytest
from pydantic import ValidationError

from footfall.edge.capture.frame import Frame
from footfall.edge.config import EdgeConfig
from footfall.edge.detect.detections import Detections, People
from footfall.edge.detect.motion import DetectSchedule, MotionDetector, RegionSchedule
from footfall.edge.pipeline import EdgePipeline
from footfall.edge.track.attach import FaceAttacher, head_distance
from footfall.edge.track.bodies import BodyTracker, TrackedBody
from footfall.edge.track.tracker import TrackedFace

W, H, FPS = 640, 480, 10
NONE = np.zeros((0, 4), np.float32)


def config(**person) -> EdgeConfig:
    return EdgeConfig.model_validate({
        "site": "mall", "device": "door", "role": "entrance", "timezone": "Europe/Berlin",
        "privacy": {"level": "site"}, "site_secret": {"file": "/nonexistent"},
        "camera": {"source": "/dev/video0", "width": W, "height": H, "fps": FPS},
        "detector": {"person": {"enabled": True, **person}},
        "embedder": {"refine_keypoints": False},  # the faces here are drawn shapes, which no face model finds
        "lines": [{"id": "door", "a": [0.5, 0.95], "b": [0.5, 0.05]}],  # in: towards the image's right
    })


# --- config ---------------------------------------------------------------------------------------------------

def test_person_mode_is_off_by_default_and_its_section_is_strict():
    cfg = config()
    default = EdgeConfig.model_validate({**cfg.model_dump(mode="json"), "detector": {}})
    assert default.detector.person.enabled is False
    assert cfg.detector.person.every == 3 and cfg.detector.person.motion is True
    with pytest.raises(ValidationError):
        config(every=0)
    with pytest.raises(ValidationError):
        config(stride=2)


# --- motion and schedule --------------------------------------------------------------------------------------

def test_motion_sees_a_moving_block_but_not_a_still_scene_or_a_change_of_light():
    md = MotionDetector()
    background = np.full((H, W, 3), 120, np.uint8)
    assert all(len(md(background)) == 0 for _ in range(5))
    for x in range(100, 300, 20):
        frame = background.copy()
        frame[200:330, x:x + 50] = 30
        boxes = md(frame)
    assert len(boxes) >= 1
    x1, y1, x2, y2 = boxes[0]
    assert x1 < 330 and x2 > 260 and y1 < 330 and y2 > 200
    assert len(md(np.full((H, W, 3), 220, np.uint8))) == 0  # the whole frame brighter: light, not people


def test_a_still_empty_scene_never_runs_the_detector():
    s = DetectSchedule(every=3, motion=True)
    assert not any(s.decide(NONE, False) for _ in range(30))
    moving = np.array([[100, 100, 140, 200]], np.float32)
    assert s.decide(moving, False) and s.runs == 1  # the first frame that moves (the last run is long past)
    assert [s.decide(moving, False) for _ in range(3)] == [False, False, True]


def test_tracked_people_are_looked_at_every_n_frames_even_when_they_stand_still():
    s = DetectSchedule(every=3, motion=True)
    assert [s.decide(NONE, True) for _ in range(7)] == [True, False, False, True, False, False, True]


def test_without_motion_gating_the_detector_runs_every_n_frames():
    s = DetectSchedule(every=2, motion=False)
    assert [s.decide(None, False) for _ in range(6)] == [True, False, True, False, True, False]


def test_far_regions_are_passed_over_while_still_and_every_n_frames_while_something_moves_in_them():
    s = RegionSchedule(((0.0, 0.0, 0.5, 0.5),), every=2, fallback=15)
    still = np.full((H, W, 3), 120, np.uint8)
    runs = [s.due(still) for _ in range(16)]
    assert [i for i, run in enumerate(runs) if run] == [0, 15]  # the first frame, then once in 15 (fallback)
    outside = still.copy()
    outside[H - 100:, W - 100:] = 20  # motion outside the region does not count
    assert not any(s.due(outside if i % 2 else still) for i in range(10))
    ran = []
    for x in range(10, 130, 10):  # a block walking across the region: a pass every other frame
        frame = still.copy()
        frame[40:80, x:x + 30] = 30
        ran.append(s.due(frame))
    assert sum(ran) >= 5 and not any(a and b for a, b in zip(ran, ran[1:]))


def test_far_regions_without_motion_gating_are_passed_over_every_n_frames():
    s = RegionSchedule(((0.0, 0.0, 0.5, 0.5),), every=3, motion=False)
    assert [s.due(np.zeros((H, W, 3), np.uint8)) for _ in range(7)] == [True, False, False, True, False, False, True]


# --- body tracks ----------------------------------------------------------------------------------------------

def frame_at(i: int, image=None) -> Frame:
    return Frame(np.zeros((H, W, 3), np.uint8) if image is None else image, 1_700_000_000 + i / FPS, i, "")


def body(x: float, y: float = 260, w: float = 50, h: float = 150) -> list[float]:
    return [x - w / 2, y - h / 2, x + w / 2, y + h / 2]


def test_a_walker_seen_every_third_frame_keeps_one_track_carried_between_runs():
    tracker = BodyTracker(FPS, every=3)
    ids, errors, states = set(), [], []
    for i in range(40):
        x = 60 + 12 * i  # 1.2 m/s-ish: 12 px a frame, a quarter of the body's width
        f = frame_at(i)
        people = People(f, np.array([body(x)], np.float32), np.array([0.8], np.float32)) if i % 3 == 0 else None
        tracks = tracker.update(f, people)
        for t in tracks.live:
            ids.add(t.id)
            states.append((t.state, t.predicted))
            if i > 12:
                errors.append(abs(t.centre[0] - x))
    assert len(ids) == 1 and tracker.tracks_started == 1 and sum(tracker.tracks_joined.values()) == 0
    assert ("active", True) in states and "lost" not in {s for s, _ in states}
    assert max(errors) < 15  # the prediction between runs stays within a third of the body's width
    finished = tracker.flush(frame_at(40)).finished
    # a path point for every detector run that saw it from the second, which confirmed the track
    assert len(finished) == 1 and len(finished[0].path) == 13


def test_a_single_false_detection_never_becomes_a_track():
    tracker = BodyTracker(FPS, every=3)
    f = frame_at(0)
    tracker.update(f, People(f, np.array([body(300)], np.float32), np.array([0.6], np.float32)))
    for i in range(1, 30):
        f = frame_at(i)
        tracks = tracker.update(f, People.empty(f) if i % 3 == 0 else None)
        assert not tracks.live
    assert tracker.tracks_started == 0


# --- faces attached to bodies ---------------------------------------------------------------------------------

def face(fid: int, x: float, y: float, size: float = 24, detected: bool = True) -> TrackedFace:
    box = np.array([x - size / 2, y - size / 2, x + size / 2, y + size / 2], np.float32)
    return TrackedFace(fid, "active" if detected else "lost", box, None, 0.9)


def person(bid: int, x: float, y: float = 260) -> TrackedBody:
    return TrackedBody(bid, "active", np.array(body(x, y), np.float32), 0.8)


def test_head_region_is_the_top_of_the_body_box():
    b = np.array(body(300), np.float32)  # x 275..325, y 185..335
    assert head_distance(face(1, 300, 200).box, b) == pytest.approx(0.0, abs=0.01)
    assert head_distance(face(1, 300, 290).box, b) is None  # on the torso
    assert head_distance(face(1, 360, 200).box, b) is None  # beside the body
    assert head_distance(face(1, 300, 200, size=100).box, b) is None  # too big to be this body's face


def test_a_face_belongs_to_the_body_it_rides_on_consistently():
    a = FaceAttacher(min_frames=3)
    for i in range(6):
        bodies = [person(1, 200 + 10 * i), person(2, 400 - 10 * i)]
        a.update([face(7, 200 + 10 * i, 200)], bodies)
        if i == 1:
            assert a.body_of(7) is None  # two frames are not enough
    assert a.body_of(7) == 1 and a.faces_of(1) == [7] and a.faces_of(2) == []


def test_a_face_crossing_someone_elses_head_for_a_frame_stays_with_its_own_body():
    a = FaceAttacher(min_frames=3)
    for i in range(10):
        a.update([face(7, 200, 200)], [person(1, 200)])
    a.update([face(7, 300, 200)], [person(1, 200), person(2, 300)])  # a frame on body 2's head
    assert a.body_of(7) == 1
    b = FaceAttacher(min_frames=3)  # side by side: the nearer head wins
    for _ in range(5):
        b.update([face(8, 246, 200)], [person(1, 220), person(2, 262)])
    assert b.body_of(8) == 2


def test_a_lost_face_or_body_casts_no_vote():
    a = FaceAttacher(min_frames=1)
    lost_body = TrackedBody(1, "lost", np.array(body(200), np.float32), 0.0)
    a.update([face(7, 200, 200)], [lost_body])
    a.update([face(8, 200, 200, detected=False)], [person(1, 200)])
    assert a.body_of(7) is None and a.body_of(8) is None


# --- the pipeline ---------------------------------------------------------------------------------------------

class FakeEmbed:
    model_file = "sface_dynint8.tflite"

    def __call__(self, crop):
        v = np.linspace(-1, 1, 128, dtype=np.float32)
        return v / np.linalg.norm(v)


def walkers(i: int) -> list[tuple[str, float]]:
    """A walks right (in) on frames 0-54 showing their face and out of the image; one second later B comes in
    through the same edge and walks left (out), seen from behind."""
    out = []
    if i < 55:
        out.append(("A", 100 + 11 * i))
    if 65 <= i < 115:
        out.append(("B", 660 - 12 * (i - 65)))
    return out


def boxes_at(i: int) -> list[tuple[str, float, list[float]]]:
    """Walkers in view, their centre and their box clipped to the image."""
    out = []
    for who, x in walkers(i):
        x1, y1, x2, y2 = body(x)
        if x2 > 0 and x1 < W - 10:
            out.append((who, x, [max(x1, 0), y1, min(x2, W), y2]))
    return out


FACE_TEXTURE = np.random.default_rng(0).integers(0, 255, (40, 40, 3), dtype=np.uint8)


def render(i: int) -> Frame:
    image = np.full((H, W, 3), 120, np.uint8)
    for who, x, box in boxes_at(i):
        x1, y1, x2, y2 = (int(v) for v in box)
        image[y1:y2, x1:x2] = 40
        if who == "A" and x + 20 < W:
            image[y1 + 2:y1 + 42, int(x) - 20:int(x) + 20] = FACE_TEXTURE
    return frame_at(i, image)


def fake_people(frame: Frame) -> People:
    boxes = [box for _, _, box in boxes_at(frame.index)]
    return People(frame, np.array(boxes, np.float32).reshape(-1, 4), np.full(len(boxes), 0.8, np.float32))


def fake_faces(frame: Frame, regions=(), reuse=False) -> Detections:
    found = [x for who, x, _ in boxes_at(frame.index) if who == "A" and x + 20 < W]
    if not found:
        return Detections.empty(frame)
    x, top = found[0], body(found[0])[1]
    box = np.array([[x - 16, top + 4, x + 16, top + 40]], np.float32)
    kps = np.array([[[x - 9, top + 16], [x + 9, top + 16], [x, top + 24], [x, top + 32], [x - 15, top + 18],
                     [x + 15, top + 18]]], np.float32)
    return Detections(frame, box, np.array([0.9], np.float32), kps)


def run(pipeline: EdgePipeline, frames: int = 125) -> list:
    messages = []
    for i in range(frames):
        messages += pipeline.process(render(i))
    return messages + pipeline.close(render(frames - 1))


def test_both_directions_counted_and_only_the_walker_who_showed_a_face_has_a_code():
    p = EdgePipeline(config(), b"s" * 32, embedder_factory=lambda threads: FakeEmbed())
    assert p.model_files == ["nanodet_g_416_coco_dynint8.tflite", "face_detection_full_range_sparse.tflite",
                             "sface_dynint8.tflite"]
    p.people, p.detector = fake_people, fake_faces
    messages = run(p)
    lines = [line for m in messages if m.kind == "counts" for line in m.lines]
    assert sum(l.in_ for l in lines) == 1 and sum(l.out for l in lines) == 1
    visits = sorted((m for m in messages if m.kind == "visits"), key=lambda v: v.first_seen)
    assert [v.direction for v in visits] == ["in", "out"]
    assert visits[0].code is not None and len(visits[0].code) == 128 and visits[0].quality > 0
    assert visits[1].code is None and visits[1].quality == 0
    assert p.tracking_totals() == {"tracks": 2, "tracks_joined": 0, "crossings": 2, "crossings_uncertain": 0}
    assert p.schedule.runs <= 125 // 3 + 1  # every third frame at most


@pytest.mark.parametrize("every", [1, 2])
def test_a_face_inside_a_far_region_is_coded_only_from_frames_that_ran_the_region_pass(every):
    cfg = EdgeConfig.model_validate({**config().model_dump(mode="json"),
                                     "detector": {"far_regions": [[0.0, 0.0, 1.0, 1.0]], "far_every": every}})
    p = EdgePipeline(cfg, b"s" * 32, embedder_factory=lambda threads: FakeEmbed())
    p.detector = fake_faces  # face mode; every face lies inside the region
    coded, frame = [], [0]
    p.embedder.observe = lambda track, image, keypoints: coded.append(frame[0])
    for i in range(40):
        frame[0] = i
        p.process(render(i))
    odd = [i for i in coded if i % 2]
    assert coded and (odd if every == 1 else not odd)  # every 2nd frame: the odd ones reuse the pass


def test_person_mode_at_counts_level_loads_no_face_model():
    cfg = EdgeConfig.model_validate({**config().model_dump(mode="json"), "privacy": {"level": "counts"},
                                     "site_secret": None})

    def forbidden(threads):
        raise AssertionError("no embedder at privacy level counts")

    p = EdgePipeline(cfg, None, embedder_factory=forbidden)
    assert p.detector is None and p.model_files == ["nanodet_g_416_coco_dynint8.tflite"]
    p.people = fake_people
    visits = [m for m in run(p) if m.kind == "visits"]
    assert sorted(v.direction for v in visits) == ["in", "out"] and all(v.code is None for v in visits)


def test_the_unit_check_loads_and_runs_the_person_detector(tmp_path):
    from footfall.edge.selfcheck import run_checks

    (tmp_path / "site.secret").write_text("cd" * 32)
    cfg = EdgeConfig.model_validate({**config().model_dump(mode="json"),
                                     "site_secret": {"file": str(tmp_path / "site.secret")}})
    results = {r.name: r for r in run_checks(cfg)}
    assert results["models"].ok, results["models"].detail
    assert results["models"].detail.startswith("nanodet_g_416_coco_dynint8.tflite, face_detection_full_range")
    counts = EdgeConfig.model_validate({**cfg.model_dump(mode="json"), "privacy": {"level": "counts"}})
    detail = {r.name: r for r in run_checks(counts)}["models"].detail
    assert detail == "nanodet_g_416_coco_dynint8.tflite verified and run"
