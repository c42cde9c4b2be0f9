import itertools
from pathlib import Path

import cv2
import numpy as np
import pytest

from footfall.edge.capture.frame import Frame
from footfall.edge.detect.blazeface import BlazeFace
from footfall.edge.detect.detections import LEFT_EYE, MOUTH, NOSE, RIGHT_EYE
from footfall.edge.embed.align import TEMPLATE, align, similarity
from footfall.edge.embed.quality import geometry_score
from footfall.edge.embed.refine import KeypointRefiner, close_up
from footfall.edge.embed.sface import SFace
from footfall.edge.embed.track_embedder import TrackEmbedder

SUFFIXES = {".jpg", ".jpeg", ".png"}


@pytest.fixture(scope="module")
def models():
    return BlazeFace("full_range", min_confidence=0.5, min_face_px=16), SFace()


def embed_folder(root: Path, models) -> dict[str, list[np.ndarray]]:
    det, sface = models
    out: dict[str, list[np.ndarray]] = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        for photo in sorted(folder.iterdir()):
            if photo.suffix.lower() not in SUFFIXES:
                continue
            image = cv2.imread(str(photo))
            d = det(Frame(image, 0, 0, ""))
            if len(d):
                best = int(np.argmax(d.scores))
                out.setdefault(folder.name, []).append(sface(align(image, d.keypoints[best])))
    return out


def pair_scores(embs: dict[str, list[np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    items = [(k, v) for k, vs in embs.items() for v in vs]
    genuine, impostor = [], []
    for (ka, a), (kb, b) in itertools.combinations(items, 2):
        (genuine if ka == kb else impostor).append(float(a @ b))
    return np.array(genuine), np.array(impostor)


def test_similarity_transform_recovers_a_known_one():
    angle, scale, shift = 0.3, 1.7, np.array([12.0, -5.0])
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    src = TEMPLATE.astype(np.float64)
    dst = src @ (scale * rot).T + shift
    m = similarity(src, dst)
    assert np.allclose(m[:, :2], scale * rot, atol=1e-6) and np.allclose(m[:, 2], shift, atol=1e-5)


def test_alignment_puts_the_eyes_on_the_template():
    """Coloured dots stand where a rotated, scaled face's keypoints are; after alignment each dot must sit on its
    template point (found by colour in the crop, not by the transform the code computed)."""
    angle, scale, shift = np.radians(25), 2.6, np.array([260.0, 170.0])
    rot = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    frame_points = TEMPLATE @ rot.T + shift  # where the face's eyes, nose and mouth are in the frame
    image = np.full((480, 640, 3), 128, np.uint8)
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0)]
    for (x, y), colour in zip(frame_points, colours):
        cv2.circle(image, (int(round(x)), int(round(y))), 6, colour, -1, lineType=cv2.LINE_AA)
    keypoints = np.zeros((6, 2), np.float32)
    keypoints[[RIGHT_EYE, LEFT_EYE, NOSE, MOUTH]] = frame_points
    crop = align(image, keypoints)
    assert crop.shape == (112, 112, 3)
    for target, colour in zip(TEMPLATE, colours):
        mask = np.all(np.abs(crop.astype(int) - colour) < 60, axis=2)
        ys, xs = np.nonzero(mask)
        assert len(xs) > 3, f"dot {colour} missing from the crop"
        assert np.hypot(xs.mean() - target[0], ys.mean() - target[1]) < 1.0  # pixels of the 112 crop


def test_embeddings_are_unit_length_and_deterministic(fixture_faces, models):
    embs = embed_folder(fixture_faces, models)
    v = embs["person_a"][0]
    assert v.shape == (128,) and np.linalg.norm(v) == pytest.approx(1.0, abs=1e-5)
    again = embed_folder(fixture_faces, models)["person_a"][0]
    assert np.allclose(v, again)


def test_same_identity_is_closer_than_any_other_on_fixtures(fixture_faces, models):
    genuine, impostor = pair_scores(embed_folder(fixture_faces, models))
    assert len(genuine) == 2 and len(impostor) == 13
    assert genuine.min() > 0.45 and impostor.max() < 0.3
    assert genuine.min() - impostor.max() > 0.2


def test_margins_on_shared_identities(shared_data, models):
    genuine, impostor = pair_scores(embed_folder(shared_data / "deepface_ids", models))
    assert genuine.mean() - impostor.mean() > 0.45
    # ROC AUC: the chance a random genuine pair scores above a random impostor pair
    auc = (genuine[:, None] > impostor[None, :]).mean()
    assert auc > 0.99


def test_track_embedder_keeps_best_n_and_gates_quality(fixture_faces, models):
    det, sface = models
    calls = []

    def counting(crop):
        calls.append(crop.shape)
        return sface(crop)

    image = cv2.imread(str(fixture_faces / "person_a" / "person_a_2.jpg"))
    kp = det(Frame(image, 0, 0, "")).keypoints[0]
    te = TrackEmbedder(counting, best_n=3)
    for _ in range(10):
        te.observe(1, image, kp)
    emb = te.finish(1)
    assert len(calls) == 3 and emb.faces == 3 and emb.quality > 0.5
    assert np.linalg.norm(emb.vector) == pytest.approx(1.0, abs=1e-5)
    # a face seen side-on (nose far off the eye midpoint) never passes the gate
    side = kp.copy()
    side[2, 0] = side[1, 0] + 5
    assert geometry_score(side) == 0.0
    te.observe(2, image, side)
    assert te.finish(2).vector is None and len(calls) == 3



def test_a_face_cut_off_by_the_frames_edge_ranks_below_a_whole_one(fixture_faces, models):
    """A walker leaving at the bottom of the view: the nearest, largest sighting has the chin off the frame, and its
    crop is filled in from the edge row (a smear that codes less like them). The whole face seen earlier is kept;
    with no other sighting, the cut-off one still gives a code."""
    det, sface = models
    photo = cv2.imread(str(fixture_faces / "person_a" / "person_a_2.jpg"))
    kp = det(Frame(photo, 0, 0, "")).keypoints[0]
    eyes = float(np.linalg.norm(kp[LEFT_EYE] - kp[RIGHT_EYE]))
    far, near = 30 / eyes, 40 / eyes  # 30 and 40 px between the eyes: the nearer one is the better size
    whole = cv2.resize(photo, None, fx=far, fy=far, interpolation=cv2.INTER_AREA)
    leaving = cv2.resize(photo, None, fx=near, fy=near, interpolation=cv2.INTER_AREA)
    leaving = leaving[:int(kp[MOUTH, 1] * near) + 2]  # the frame ends just under the mouth
    te = TrackEmbedder(sface, best_n=1)
    te.observe(1, whole, kp * far)
    te.observe(1, leaving, kp * near)
    got = te.finish(1)
    assert got.faces == 1 and np.allclose(got.vector, sface(align(whole, kp * far)), atol=1e-5)
    te.observe(2, leaving, kp * near)
    assert te.finish(2).vector is not None


@pytest.fixture(scope="module")
def small_faces(fixture_faces, models):
    """Each fixture face at 20 px between the eyes in a 720p frame (a walker far from the camera), with the keypoints
    its full-size photo gives (scaled) and the embedding of the full-size photo."""
    det, sface = models
    out = []
    for photo in sorted(fixture_faces.glob("person_*/*.jpg")):
        image = cv2.imread(str(photo))
        true = det(Frame(image, 0, 0, "")).keypoints[0]
        s = 20 / np.linalg.norm(true[LEFT_EYE] - true[RIGHT_EYE])
        small = cv2.resize(image, None, fx=s, fy=s, interpolation=cv2.INTER_AREA)
        frame = np.full((720, 1280, 3), 110, np.uint8)
        frame[300:300 + small.shape[0], 600:600 + small.shape[1]] = small
        found = BlazeFace("full_range", min_confidence=0.5, min_face_px=8)(Frame(frame, 0, 0, ""))
        out.append((frame, found.keypoints[int(np.argmax(found.scores))], true * s + [600, 300],
                    sface(align(image, true))))
    return out


def test_keypoints_found_again_on_a_close_up_align_a_small_face(small_faces):
    """The whole-frame pass places a small face's keypoints a quarter to half an eye distance off; on a close-up the
    short-range model places them within a tenth."""
    refine = KeypointRefiner(BlazeFace("short_range", min_confidence=0.5, min_face_px=8))
    for frame, coarse, true, _ in small_faces:
        patch, kp = close_up(frame, coarse)
        fine = refine(patch, kp) + (coarse - kp)[0]
        error = lambda k: float(np.abs(k[:4] - true[:4]).mean() / 20)  # noqa: E731 - eyes, nose, mouth
        assert error(fine) < 0.1 < error(coarse), (error(fine), error(coarse))


def test_a_small_face_codes_like_its_full_size_photo_once_refined(small_faces, models):
    _, sface = models
    refined = TrackEmbedder(sface, refine=KeypointRefiner(BlazeFace("short_range", min_confidence=0.5, min_face_px=8)))
    plain = TrackEmbedder(sface)
    for frame, coarse, _, full_size in small_faces:
        for te in (refined, plain):
            te.observe(1, frame, coarse)
        assert float(refined.finish(1).vector @ full_size) > 0.8
        unrefined = plain.finish(1).vector  # the misaligned crop: too blurred for the gate, or coded as someone else
        assert unrefined is None or float(unrefined @ full_size) < 0.65


def test_a_sighting_whose_close_up_shows_no_face_gives_no_code(small_faces, models):
    """The whole-frame pass can score the back of a head as a face (0.7+ on a rendered scene). Its crop coded as
    nobody and made a visitor of its own; the short-range model on the close-up finds no face there."""
    _, sface = models
    refined = TrackEmbedder(sface, refine=KeypointRefiner(BlazeFace("short_range", min_confidence=0.5, min_face_px=8)))
    plain = TrackEmbedder(sface)
    rng = np.random.default_rng(0)
    for frame, coarse, _, _ in small_faces:
        no_face = frame.copy()
        x, y = coarse[[RIGHT_EYE, LEFT_EYE, MOUTH]].mean(0).astype(int)
        no_face[y - 40:y + 40, x - 40:x + 40] = rng.integers(20, 140, (80, 80, 1), np.uint8)  # hair, sharp
        for te in (refined, plain):
            te.observe(1, no_face, coarse)
        assert refined.finish(1).vector is None
        assert plain.finish(1).vector is not None  # the gate alone lets it through


def test_a_double_tracks_sightings_join_the_walkers_own_track(small_faces, models):
    """A second track on a walker's face ends as a double (edge/track/tracker.py): what it saw of the face codes
    the walker, with their own track's sightings, the best three kept."""
    _, sface = models
    te = TrackEmbedder(sface, refine=KeypointRefiner(BlazeFace("short_range", min_confidence=0.5, min_face_px=8)))
    (frame, coarse, _, full_size), other = small_faces[0], small_faces[1]
    te.observe(1, other[0], other[1])  # the walker's own track caught a poor look of someone else's face
    for _ in range(3):
        te.observe(2, frame, coarse)
    te.merge(2, into=1)
    merged = te.finish(1)
    assert merged.faces == 3 and float(merged.vector @ full_size) > 0.8
    assert te.finish(2).vector is None
