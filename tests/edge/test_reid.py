"""Joining the pieces of one walker's track across a gap (a nearer walker in front, a turned head)."""
import numpy as np

from footfall.edge.capture.frame import Frame
from footfall.edge.config import EdgeConfig
from footfall.edge.detect.detections import Detections
from footfall.edge.events.aggregator import EventAggregator
from footfall.edge.track.reid import Appearance
from footfall.edge.track.tracker import FaceTracker

W, H, FPS = 1280, 720, 15
PEOPLE = {1: np.eye(128, dtype=np.float32)[0], 2: np.eye(128, dtype=np.float32)[1]}


def detections(t: float, faces: list[tuple[int, float, float, float]]) -> Detections:
    """faces: (person, centre x, centre y, height) in pixels; the person is written into the keypoints so the
    test's appearance function can tell who it is (the tracker never looks at them)."""
    frame = Frame(np.zeros((H, W, 3), np.uint8), t, round(t * FPS), "")
    if not faces:
        return Detections.empty(frame)
    boxes = np.array([[x - h / 2, y - h / 2, x + h / 2, y + h / 2] for _, x, y, h in faces], np.float32)
    kps = np.zeros((len(faces), 6, 2), np.float32)
    kps[:, 0, 0] = [p for p, *_ in faces]
    return Detections(frame, boxes, np.full(len(faces), 0.9, np.float32), kps)


def appearance(tracker_ids: dict[int, int]) -> Appearance:
    return Appearance(of_track=lambda tid: PEOPLE.get(tracker_ids.get(tid)),
                      of_face=lambda image, kps: PEOPLE[int(kps[0, 0])])


def walk(tracker: FaceTracker, hidden: tuple[float, float], others=(), seconds: float = 4.0, owner: dict | None = None):
    """Person 1 walks from the far end (y 150, 40 px face) to the near end (y 650, 120 px face) in `seconds`; their
    face is not detected between hidden[0] and hidden[1] seconds. Returns every frame's Tracks."""
    out = []
    for i in range(int(seconds * FPS)):
        t = i / FPS
        u = t / seconds
        faces = [] if hidden[0] <= t < hidden[1] else [(1, 640 + 20 * u, 150 + 500 * u, 40 + 80 * u)]
        faces += [f for f in (other(t) for other in others) if f]
        tracks = tracker.update(detections(t, faces))
        if owner is not None:
            for f in tracks.live:
                if f.keypoints is not None:
                    owner.setdefault(f.id, int(f.keypoints[0, 0]))
        out.append(tracks)
    out.append(tracker.flush(out[-1].frame))
    return out


def ids_of_person_1(frames) -> set[int]:
    return {f.id for tr in frames for f in tr.live if f.keypoints is not None and int(f.keypoints[0, 0]) == 1}


def test_a_walker_hidden_while_on_the_line_keeps_one_track():
    owner: dict[int, int] = {}
    tracker = FaceTracker(FPS, appearance=appearance(owner))
    frames = walk(tracker, hidden=(1.4, 2.6), owner=owner)  # 1.2 s behind someone: longer than max_lost_s
    assert len(ids_of_person_1(frames)) == 1
    assert tracker.tracks_joined["appearance"] == 1
    finished = [ft for tr in frames for ft in tr.finished]
    assert len(finished) == 1 and finished[0].last_ts - finished[0].first_ts > 3.5


def test_the_joined_track_counts_its_crossing_once():
    cfg = EdgeConfig.model_validate(dict(site="s", device="d", role="entrance", timezone="UTC",
                                         privacy={"level": "counts"}, camera={"source": "x"},
                                         lines=[{"id": "door", "a": [1.0, 0.5], "b": [0.0, 0.5]}]))
    for appear in (True, False):  # by appearance, and by motion alone (privacy level counts: no embeddings)
        owner: dict[int, int] = {}
        tracker = FaceTracker(FPS, appearance=appearance(owner) if appear else None)
        agg = EventAggregator(cfg)
        for tracks in walk(tracker, hidden=(1.4, 2.6), owner=owner):  # the line (y 360) is passed while hidden
            agg.advance(tracks.frame.ts)
            agg.update(tracks)
        assert sum(agg.current.lines["door"]) == 1, appear
        assert agg.crossings == {"counted": 1, "uncertain": 0 if appear else 1, "withdrawn": 0}


def test_someone_else_appearing_where_the_hidden_walker_was_is_not_joined():
    owner: dict[int, int] = {}
    tracker = FaceTracker(FPS, appearance=appearance(owner))
    # person 2 steps out from behind at the spot where person 1's face disappeared, and stays there
    stranger = lambda t: (2, 650, 330, 70) if t >= 1.8 else None  # noqa: E731
    frames = walk(tracker, hidden=(1.4, 9.0), others=[stranger], owner=owner)
    ids_2 = {f.id for tr in frames for f in tr.live if f.keypoints is not None and int(f.keypoints[0, 0]) == 2}
    assert ids_of_person_1(frames).isdisjoint(ids_2)
    assert tracker.tracks_joined == {"appearance": 0, "motion": 0}


def test_a_track_found_again_at_the_last_moment_lives_on_while_detected():
    """norfair 2.3 starts a track's ReID countdown when its hit counter reaches 0 and did not clear it when the
    track was detected again on that very frame: the track was dropped 3 s later, in full view."""
    tracker = FaceTracker(FPS)
    frames = walk(tracker, hidden=(1.0, 2.0), seconds=9.0)  # 15 frames missed (hit counter 15 -> 0), then 7 s seen
    assert len(ids_of_person_1(frames)) == 1
    finished = [ft for tr in frames for ft in tr.finished]
    assert len(finished) == 1


def test_weak_faces_carry_a_track_but_never_start_one():
    """ByteTrack's two thresholds: a face scoring under the start score (small, half hidden) continues a track that a
    strong face started, and a run of weak faces alone (a pattern on a shirt) is never reported."""
    tracker = FaceTracker(FPS, start_score=0.6)
    reported = []
    for i in range(30):
        t = i / FPS
        d = detections(t, [(1, 400, 150 + 10 * i, 50), (2, 1000, 300, 50)])
        scores = np.array([0.9 if i < 5 else 0.4, 0.4], np.float32)  # 1: strong, then weak; 2: weak throughout
        tracks = tracker.update(Detections(d.frame, d.boxes, scores, d.keypoints))
        reported.append({int(f.keypoints[0, 0]) for f in tracks.live if f.keypoints is not None})
    assert all(seen == {1} for seen in reported[3:])  # person 1 from confirmation to the end, in one track
    assert tracker.tracks_started == 1


def test_a_look_alike_coming_in_behind_is_not_joined_to_the_walker_who_went_on():
    """A face walks down the image, towards the camera. Once the first walker has gone on out of sight, a second
    face higher up (farther back) that looks like them is someone else coming in. It must not continue the first
    track: that would undo the first `in` and swallow the second one's."""
    cfg = EdgeConfig.model_validate(dict(site="s", device="d", role="entrance", timezone="UTC",
                                         privacy={"level": "counts"}, camera={"source": "x"},
                                         lines=[{"id": "door", "a": [0.0, 0.5], "b": [1.0, 0.5]}]))
    owner: dict[int, int] = {}
    tracker = FaceTracker(FPS, appearance=appearance(owner))
    agg = EventAggregator(cfg)
    for i in range(int(7 * FPS)):
        t = i / FPS
        if t < 2.5:  # the first walker, from y 150 to 600, then out of sight
            faces = [(1, 640, 150 + 180 * t, 40 + 30 * t)]
        elif 3.3 <= t:  # the look-alike (same appearance) from y 250 down past the line
            faces = [(1, 600, 250 + 120 * (t - 3.3), 70 + 10 * (t - 3.3))]
        else:
            faces = []
        tracks = tracker.update(detections(t, faces))
        owner.update({f.id: 1 for f in tracks.live})
        agg.advance(t)
        agg.update(tracks)
    assert tracker.tracks_joined == {"appearance": 0, "motion": 0}
    assert agg.current.lines["door"] == [2, 0]


def test_a_head_turning_away_does_not_leave_a_second_track_counting_the_walker_again():
    """A track that missed a frame is refused a face that looks like someone else: a head turning away. That face
    starts a second track, and the two take it in turns (on frames where it is too poor to compare, the first gets
    it back). Both walked over the line: one walker counted twice. The second is ended as a double of the first."""
    looks = {1: PEOPLE[1], 3: np.eye(128, dtype=np.float32)[3]}  # 3: turning away; 0: too poor to tell
    app = Appearance(of_track=lambda tid: PEOPLE[1] if tid == 1 else None,
                     of_face=lambda image, kps: looks.get(int(kps[0, 0])))
    codes = [1] * 15 + [None] + [3, 3, 3] + [3, None, None, 3, 3, 0, 0, 0, None, 3, 0, 0, 0, None, 0, 3] + [0] * 12
    cfg = EdgeConfig.model_validate(dict(site="s", device="d", role="entrance", timezone="UTC",
                                         privacy={"level": "counts"}, camera={"source": "x"},
                                         lines=[{"id": "door", "a": [1.0, 0.5], "b": [0.0, 0.5]}]))
    tracker, agg, finished = FaceTracker(FPS, appearance=app), EventAggregator(cfg), []
    for i, code in enumerate(codes):  # walking down the image over the line (y 360) at frame 25
        t = i / FPS
        faces = [] if code is None else [(code, 640 + 5 * t, 150 + 125 * t, 40 + 20 * t)]
        tracks = tracker.update(detections(t, faces))
        agg.advance(t)
        agg.update(tracks)
        finished += tracks.finished
    finished += tracker.flush(tracks.frame).finished
    for ft in finished:
        agg.finish(ft)
    assert sum(agg.current.lines["door"]) == 1
    assert [ft.double_of for ft in sorted(finished, key=lambda ft: ft.id)] == [None, 1]
