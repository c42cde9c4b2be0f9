"""The placement calculator against cases worked by hand."""
import math

import pytest
from click.testing import CliRunner

from footfall.bench.cli import main
from footfall.bench.placement import Camera, path, spot, summary

# vfov = 2 atan(0.5): f_y = (720 / 2) / 0.5 = 720 px exactly
VFOV = math.degrees(2 * math.atan(0.5))


def test_camera_at_face_height_looking_level():
    cam = Camera(height_m=1.6, tilt_deg=0, hfov_deg=90, vfov_deg=VFOV, columns=1280, rows=720)
    assert cam.f_y == pytest.approx(720)
    s = spot(cam, 2.0)
    assert s.face_px == pytest.approx(720 * 0.2 / 2.0, abs=0.1)  # 72 px
    assert s.image_y == pytest.approx(360) and s.pitch_deg == 0
    # 72 px x 192/1280 = 10.8 model pixels >= 8: full range finds it; 72 >= 64 and level: embeddable
    assert s.full_range and s.embedding and not s.short_range  # beyond 2 m for the short-range model
    far = spot(cam, 4.0)
    assert far.face_px == pytest.approx(36.0, abs=0.1) and not far.full_range  # 5.4 model px: too small


def test_camera_looking_down_at_45_degrees():
    cam = Camera(height_m=2.6, tilt_deg=45, hfov_deg=90, vfov_deg=VFOV, columns=1280, rows=720)
    s = spot(cam, 1.0)  # 1 m below and 1 m ahead: on the optical axis
    assert s.pitch_deg == pytest.approx(45.0) and s.image_y == pytest.approx(360)
    assert s.face_px == pytest.approx(720 * 0.2 / math.sqrt(2), abs=0.1)  # 101.8 px
    # 101.8 x 192/1280 = 15.3 model px: full range finds it; 101.8 x 128/1280 = 10.2 < 16: short range does not;
    # and 45 degrees from above is too steep for identity
    assert s.full_range and not s.short_range and not s.embedding


def test_out_of_view_below_the_frame():
    cam = Camera(height_m=3.0, tilt_deg=10, hfov_deg=66, vfov_deg=41, columns=1280, rows=720)
    s = spot(cam, 0.5)  # almost under the camera: 70 degrees down, the frame's lower edge is at 30.5
    assert not s.in_view and not s.full_range and s.image_y > 720


def test_lens_sets_detection_range_and_resolution_sets_embedding_range():
    """Worked by hand: a level camera at face height, f_y = rows exactly (VFOV), so a 0.2 m face at d metres is
    0.2 * rows / d pixels. The detector sees the frame letterboxed to 192 px: 0.2 * rows / d * 192 / columns =
    21.6 / d model pixels at 16:9 whatever the resolution, >= 8 up to 2.7 m. The embedder needs 64 frame pixels:
    144 / d at 720 rows (up to 2.25 m), 216 / d at 1080 rows (up to 3.375 m, but only where a face is found)."""
    def result(cols, rows, hfov=90):
        return summary(path(Camera(1.6, 0, hfov, VFOV, cols, rows), 1.0, 9.0, 0.5))

    hd, full_hd = result(1280, 720), result(1920, 1080)
    assert hd["full_range_m"] == full_hd["full_range_m"] == [1.0, 2.5]
    assert hd["embedding_m"] == [1.0, 2.0] and full_hd["embedding_m"] == [1.0, 2.5]


def test_cli():
    r = CliRunner().invoke(main, ["placement", "--height", "2.4", "--tilt", "15", "--resolution", "1280x720"])
    assert r.exit_code == 0 and "recommended detector: full_range" in r.output
    bad = CliRunner().invoke(main, ["placement", "--height", "2.4", "--tilt", "15", "--resolution", "720p"])
    assert bad.exit_code != 0 and "is not COLUMNSxROWS" in bad.output
