from pathlib import Path

import cv2
import numpy as np
import pytest

from footfall.edge.capture.frame import Frame
from footfall.edge.detect.blazeface import (VARIANTS, BlazeFace, one_face_per_place, ssd_anchors, unseen_now,
                                           weighted_nms)
from footfall.edge.detect.detections import LEFT_EYE, MOUTH, NOSE, RIGHT_EYE

SUFFIXES = {".jpg", ".jpeg", ".png"}


def photos(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.suffix.lower() in SUFFIXES)


def test_anchor_counts_match_the_models():
    assert len(ssd_anchors(VARIANTS["short_range"])) == 896
    assert len(ssd_anchors(VARIANTS["full_range"])) == 2304


def test_weighted_nms_blends_overlaps_and_keeps_separate_faces():
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60]], np.float32)
    scores = np.array([0.9, 0.6, 0.8], np.float32)
    kps = np.zeros((3, 6, 2), np.float32)
    b, s, _ = weighted_nms(boxes, scores, kps)
    assert len(b) == 2 and s.tolist() == pytest.approx([0.9, 0.8])
    assert b[0][0] == pytest.approx(0.6 / 1.5)  # score-weighted mean of 0 and 1


def test_a_second_box_on_a_faces_centre_is_the_same_face():
    # light-1 entrance at 49 s: a 47 px face, and a 61 px box 26 px to its side that passes NMS (IoU 0.28)
    boxes = np.array([[808, 300, 855, 347], [827, 293, 888, 354],  # the face; the same head found again, larger
                      [760, 310, 800, 350],  # a neighbour's face, overlapping the first but off its centre
                      [900, 300, 960, 360], [915, 315, 945, 345]], np.float32)  # a face; a small box inside it
    scores = np.array([0.86, 0.6, 0.55, 0.8, 0.45], np.float32)
    order = np.argsort(-scores)
    b, s, k = one_face_per_place(boxes[order], scores[order], np.zeros((5, 6, 2), np.float32))
    assert sorted(s.tolist()) == pytest.approx([0.55, 0.8, 0.86]) and len(k) == 3


@pytest.mark.parametrize("variant", ["full_range", "short_range"])
def test_one_face_with_sane_keypoints_on_every_fixture_photo(fixture_faces, variant):
    det = BlazeFace(variant, min_confidence=0.6, min_face_px=20)
    for path in photos(fixture_faces):
        image = cv2.imread(str(path))
        d = det(Frame(image, 0.0, 0, str(path)))
        assert len(d) == 1, path.name
        x1, y1, x2, y2 = d.boxes[0]
        kp = d.keypoints[0]
        # the subject's right eye is on the image's left; nose below the eyes; mouth below the nose
        assert kp[RIGHT_EYE, 0] < kp[LEFT_EYE, 0]
        assert kp[NOSE, 1] > max(kp[RIGHT_EYE, 1], kp[LEFT_EYE, 1])
        assert kp[MOUTH, 1] > kp[NOSE, 1]
        assert x1 < kp[NOSE, 0] < x2 and y1 < kp[NOSE, 1] < y2


def test_min_face_px_filters_small_faces(fixture_faces):
    path = photos(fixture_faces)[0]
    image = cv2.imread(str(path))
    assert len(BlazeFace("full_range", min_face_px=10_000)(Frame(image, 0, 0, ""))) == 0


def test_faces_in_a_letterboxed_wide_frame_map_back_to_frame_pixels(fixture_faces):
    face = cv2.imread(str(fixture_faces / "person_b" / "person_b_1.jpg"))
    face = cv2.resize(face, (240, 300))
    frame = np.full((720, 1280, 3), 128, np.uint8)
    frame[300:600, 900:1140] = face
    d = BlazeFace("full_range")(Frame(frame, 0, 0, ""))
    assert len(d) == 1
    cx = (d.boxes[0][0] + d.boxes[0][2]) / 2
    cy = (d.boxes[0][1] + d.boxes[0][3]) / 2
    assert 950 < cx < 1090 and 350 < cy < 550


def test_faces_found_on_every_shared_identity_photo(shared_data):
    """deepface_ids: 13 identities, 61 photos, one person each. Full range is the cameras' model; close-ups
    (a face filling the photo) are what the short-range model is for."""
    full = BlazeFace("full_range", min_confidence=0.5, min_face_px=20)
    short = BlazeFace("short_range", min_confidence=0.5, min_face_px=20)
    images = {p.name: cv2.imread(str(p)) for p in photos(shared_data / "deepface_ids")}
    missed_full = [n for n, im in images.items() if len(full(Frame(im, 0, 0, ""))) == 0]
    assert len(images) == 61 and len(missed_full) <= 2, missed_full
    assert [n for n in missed_full if len(short(Frame(images[n], 0, 0, ""))) == 0] == []


def test_a_far_region_finds_small_faces_the_whole_frame_misses(fixture_faces):
    photo = cv2.imread(str(fixture_faces / "person_a" / "person_a_1.jpg"))
    det = BlazeFace("full_range", min_confidence=0.6, min_face_px=8)
    near = det(Frame(photo, 0, 0, ""))
    x1, y1, x2, y2 = near.boxes[0]
    scale = 30.0 / (y2 - y1)  # a 30 px face: 4.5 px at the model's 192 px over a 1280 px frame
    small = cv2.resize(photo, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    frame = np.full((720, 1280, 3), 120, np.uint8)
    fx, fy = 600, 120
    frame[fy:fy + small.shape[0], fx:fx + small.shape[1]] = small
    assert len(det(Frame(frame, 0, 0, ""))) == 0
    found = det(Frame(frame, 0, 0, ""), regions=((0.35, 0.0, 0.65, 0.4),))
    assert len(found) == 1
    cx, cy = (found.boxes[0][:2] + found.boxes[0][2:]) / 2
    want = np.array([fx + (x1 + x2) / 2 * scale, fy + (y1 + y2) / 2 * scale])
    assert np.hypot(cx - want[0], cy - want[1]) < 4  # mapped back to frame pixels


def test_a_far_region_pass_reused_carries_its_faces_over_to_the_next_frame(fixture_faces):
    photo = cv2.imread(str(fixture_faces / "person_a" / "person_a_1.jpg"))
    det = BlazeFace("full_range", min_confidence=0.6, min_face_px=8)
    x1, y1, x2, y2 = det(Frame(photo, 0, 0, "")).boxes[0]
    small = cv2.resize(photo, None, fx=30.0 / (y2 - y1), fy=30.0 / (y2 - y1), interpolation=cv2.INTER_AREA)
    face_frame, empty = np.full((720, 1280, 3), 120, np.uint8), np.full((720, 1280, 3), 120, np.uint8)
    face_frame[120:120 + small.shape[0], 600:600 + small.shape[1]] = small
    region = ((0.35, 0.0, 0.65, 0.4),)
    found = [len(det(Frame(image, i, i, ""), region, reuse=reuse))
             for i, (image, reuse) in enumerate([(face_frame, False), (empty, True), (empty, False)])]
    assert found == [1, 1, 0]  # frame 1 reuses frame 0's pass; frame 2 runs its own and finds the face gone


def test_a_reused_region_face_that_the_whole_frame_finds_again_is_taken_from_this_frame():
    carried = (np.array([[100, 100, 130, 130], [400, 50, 420, 70]], np.float32), np.array([0.9, 0.8], np.float32),
               np.zeros((2, 6, 2), np.float32))
    now = np.array([[103, 102, 133, 132]], np.float32)  # the first face, a frame on, found by the whole-frame pass
    boxes, scores, kps = unseen_now(carried, now)
    assert boxes.tolist() == [[400, 50, 420, 70]] and scores.tolist() == pytest.approx([0.8]) and kps.shape == (1, 6, 2)
    assert unseen_now(carried, now[:0])[0].shape == (2, 4)  # nothing found this frame: both carried over
