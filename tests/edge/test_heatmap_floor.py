"""Floor mapping on hand-worked points, and bad mappings refused at their YAML line."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from footfall.edge.config import load
from footfall.edge.heatmap.floor import FloorMap
from footfall.protocol.configfile import ConfigError

# A camera looking down an aisle: the far edge of a 4 x 4 m square is half as wide in the image as the near edge.
TRAPEZOID = [(0.25, 0.0), (0.75, 0.0), (1.0, 1.0), (0.0, 1.0)]
SQUARE = [(0.0, 0.0), (4.0, 0.0), (4.0, 4.0), (0.0, 4.0)]

MINIMAL = """site: mall-west
device: store-1
role: store
timezone: Europe/Berlin
privacy: {level: counts}
camera: {source: video.mp4}
"""


def heatmap_yaml(image=TRAPEZOID, floor=SQUARE, size=(4, 4), grid=(4, 4)) -> str:
    return (MINIMAL + "heatmap:\n"
            f"  grid: {list(grid)}\n"
            f"  floor_size: {list(size)}\n"
            f"  image_points: {[list(p) for p in image]}\n"
            f"  floor_points: {[list(p) for p in floor]}\n")


def write(tmp_path: Path, text: str) -> Path:
    f = tmp_path / "edge.yaml"
    f.write_text(text)
    return f


def test_affine_case_maps_midpoints_to_midpoints():
    fm = FloorMap.fit([(0, 0), (1, 0), (1, 1), (0, 1)], [(0, 0), (10, 0), (10, 5), (0, 5)], (10, 5), (10, 5))
    assert np.allclose(fm.to_floor([(0.5, 0.5), (0.1, 0.8)]), [(5.0, 2.5), (1.0, 4.0)])
    assert fm.cell((5.0, 2.5)) == 2 * 10 + 5 and fm.cell((10.0, 1.0)) is None and fm.cell((-0.1, 1.0)) is None


def test_perspective_case_on_hand_worked_points():
    fm = FloorMap.fit(TRAPEZOID, SQUARE, (4, 4), (4, 4))
    # the diagonals of the image trapezoid meet at (0.5, 1/3): the image of the square's centre, not (0.5, 0.5)
    assert np.allclose(fm.to_floor([(0.5, 1 / 3)]), [(2.0, 2.0)], atol=1e-6)
    x, y = fm.to_floor([(0.5, 0.5)])[0]
    assert x == pytest.approx(2.0) and y > 2.2  # lower in the image is nearer the camera: deeper than the centre
    # the sides (0.25,0)-(0,1) and (0.75,0)-(1,1) meet at y = -1: the horizon; beyond it nothing is on the floor
    assert np.isnan(fm.to_floor([(0.5, -1.5)])).all()
    assert fm.errors(TRAPEZOID, SQUARE) == pytest.approx([0, 0, 0, 0], abs=1e-6)


FIFTH = (0.6, 0.5)  # a fifth image point, and where the four corners put it on the floor, 0.3 m off in x


def fifth_floor_point():
    x, y = FloorMap.fit(TRAPEZOID, SQUARE, (4, 4), (4, 4)).to_floor([FIFTH])[0]
    return (round(float(x) + 0.3, 4), round(float(y), 4))


def test_more_points_are_fitted_and_their_error_shows():
    image, floor = [*TRAPEZOID, FIFTH], [*SQUARE, fifth_floor_point()]
    errors = FloorMap.fit(image, floor, (4, 4), (4, 4)).errors(image, floor)
    assert 0.03 < max(errors) < 0.3


def test_a_good_heatmap_section_loads(tmp_path):
    c = load(write(tmp_path, heatmap_yaml()))
    assert c.heatmap.grid == (4, 4) and c.heatmap.floor_map().cell((3.5, 0.5)) == 3


@pytest.mark.parametrize("kw, field, reason", [
    (dict(image=[(0.1, 0.5), (0.5, 0.5), (0.9, 0.5), (0.5, 0.9)]), "heatmap.image_points", "lie on one line"),
    (dict(floor=[(0, 0), (2, 0), (4, 0), (2, 3)]), "heatmap.floor_points", "lie on one line"),
    (dict(image=[(0.25, 0.0), (0.75, 0.0), (1.2, 1.0), (0.0, 1.0)]), "heatmap.image_points", "outside the image"),
    (dict(image=[(0.25, 0.0), (0.75, 0.0), (0.0, 1.0), (1.0, 1.0)]), "heatmap.image_points", "cross"),
    (dict(floor=[(4, 0), (0, 0), (0, 4), (4, 4)]), "heatmap", "mirrored"),
    (dict(floor=[(0, 0), (4, 0), (4, 5), (0, 4)]), "heatmap", "off the floor"),
    (dict(grid=(30, 4)), "heatmap.grid.0", "less than or equal to 24"),
])
def test_bad_mappings_are_refused_at_their_line(tmp_path, kw, field, reason):
    text = heatmap_yaml(**kw)
    with pytest.raises(ConfigError) as e:
        load(write(tmp_path, text))
    p = e.value.problems[0]
    key = field.split(".")[1] if "." in field else "heatmap"
    assert p.field == field and reason in p.reason
    assert text.splitlines()[p.line - 1].lstrip().startswith(key + ":")


def test_floor_map_command_prints_the_mapping_and_its_error(tmp_path):
    f = write(tmp_path, heatmap_yaml(image=[*TRAPEZOID, FIFTH], floor=[*SQUARE, fifth_floor_point()]))
    out = subprocess.run([sys.executable, "-m", "footfall.edge", "floor-map", "--config", str(f)],
                         capture_output=True, text=True, check=True).stdout
    d = json.loads(out)
    assert d["grid"] == [4, 4] and d["cell_m"] == [1.0, 1.0] and len(d["points"]) == 5
    assert 0.03 < d["max_error_m"] < 0.3 and d["image_on_floor"]["bottom-left"] is not None


def test_fewer_floor_points_than_image_points_are_refused(tmp_path):
    with pytest.raises(ConfigError) as e:
        load(write(tmp_path, heatmap_yaml(image=[*TRAPEZOID, (0.6, 0.5)])))
    assert e.value.problems[0].field == "heatmap" and "one floor point per image point" in e.value.problems[0].reason
