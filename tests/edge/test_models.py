import shutil

import pytest

from footfall.edge.models import DEFAULT_DIR, ModelError, TfliteModel, verified_path

FILES = ["face_detection_full_range_sparse.tflite", "face_detection_short_range.tflite", "sface_dynint8.tflite"]


@pytest.mark.parametrize("name", FILES)
def test_carried_models_verify_and_load(name):
    assert verified_path(name) == DEFAULT_DIR / name
    assert len(TfliteModel(name).output_indices) >= 1


def test_tampered_model_refuses_to_load(tmp_path):
    shutil.copy(DEFAULT_DIR / "SHA256SUMS", tmp_path)
    data = bytearray((DEFAULT_DIR / FILES[1]).read_bytes())
    data[1000] ^= 0xFF
    (tmp_path / FILES[1]).write_bytes(bytes(data))
    with pytest.raises(ModelError, match="does not match SHA256SUMS"):
        verified_path(FILES[1], tmp_path)


def test_unlisted_model_refuses_to_load(tmp_path):
    (tmp_path / "SHA256SUMS").write_text("")
    (tmp_path / "x.tflite").write_bytes(b"x")
    with pytest.raises(ModelError, match="not listed"):
        verified_path("x.tflite", tmp_path)


def test_notice_names_every_model():
    notice = (DEFAULT_DIR / "NOTICE.md").read_text()
    for name in FILES:
        assert name in notice
    assert "Apache-2.0" in notice and "Training data" in notice
