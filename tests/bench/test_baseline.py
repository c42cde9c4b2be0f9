"""The assembled baseline (bench/baseline.py): its lines count in the direction ours do, and it runs on a scene.

It needs the bench-only venv (mediapipe 0.10.21 + supervision, x86_64 only): created on first use, skipped where it
cannot be installed."""
from __future__ import annotations

import json

import numpy as np
import pytest

from footfall.edge.events.geometry import CountingLine

pytestmark = pytest.mark.scene

W, H, FPS = 640, 360, 15.0


@pytest.fixture(scope="module")
def bench_python():
    from footfall.bench.baseline import PINS, ensure_baseline_venv

    python = ensure_baseline_venv()
    if python is None:
        pytest.skip(f"mediapipe {PINS['mediapipe']} + supervision {PINS['supervision']} cannot be installed here")
    return python


def box(x: float, y: float, size: float = 24.0) -> list[float]:
    """A face box of `size` px centred on (x, y) in normalised coordinates."""
    cx, cy = x * W, y * H
    return [cx - size / 2, cy - size / 2, cx + size / 2, cy + size / 2]


def walk(p0, p1, tid: int = 1, n: int = 12) -> list[list[list[float]]]:
    """Frames of one tracked face moving from p0 to p1 (normalised)."""
    return [[[tid, *box(*(np.asarray(p0) + (np.asarray(p1) - np.asarray(p0)) * i / (n - 1)))]] for i in range(n)]


def count(python, jobs: list[dict]) -> list[dict]:
    from footfall.bench.baseline import run_worker

    jobs = [{"width": W, "height": H, "fps": FPS, "zones": [], **j} for j in jobs]
    return run_worker(python, jobs, tracks=True, pin=False)["results"]


def test_downwards_over_a_horizontal_line_is_in_like_ours(bench_python):
    line = {"id": "door", "a": [0.0, 0.5], "b": [1.0, 0.5]}
    ours = CountingLine("door", line["a"], line["b"])
    assert ours.side((0.5, 0.3)) == -1 and ours.side((0.5, 0.7)) == 1  # ours: down (to the right of a->b) is in
    down, up, back = count(bench_python, [
        {"lines": [line], "frames": walk((0.5, 0.3), (0.5, 0.7))},
        {"lines": [line], "frames": walk((0.5, 0.7), (0.5, 0.3))},
        {"lines": [line], "frames": walk((0.5, 0.3), (0.5, 0.7), n=8) + walk((0.5, 0.7), (0.5, 0.3), n=8)},
    ])
    assert down["lines"]["door"] == {"in": 1, "out": 0}
    assert up["lines"]["door"] == {"in": 0, "out": 1}
    assert back["lines"]["door"] == {"in": 1, "out": 1}


def test_any_line_counts_in_our_direction(bench_python):
    """Random lines at any angle, a face crossing each from one side to the other: sv's in/out equal
    CountingLine's (in = ending on the right-hand side of a->b, image coordinates, y down)."""
    rng = np.random.default_rng(12)
    jobs, expected = [], []
    while len(jobs) < 40:
        a, b = rng.uniform(0.15, 0.85, 2), rng.uniform(0.15, 0.85, 2)
        if np.hypot(*(b - a)) < 0.3:
            continue
        ours = CountingLine("l", a, b)
        d = (b - a) / np.hypot(*(b - a))
        right = np.array([-d[1], d[0]])  # signed_distance > 0 along this normal (y down: the right-hand side)
        mid = a + (b - a) * rng.uniform(0.3, 0.7)
        sign = rng.choice([-1, 1])
        p0, p1 = mid - sign * rng.uniform(0.06, 0.12) * right, mid + sign * rng.uniform(0.06, 0.12) * right
        assert ours.side(p0) == -sign and ours.side(p1) == sign
        jobs.append({"lines": [{"id": "l", "a": a.tolist(), "b": b.tolist()}], "frames": walk(p0, p1)})
        expected.append({"in": 1, "out": 0} if ours.side(p1) > 0 else {"in": 0, "out": 1})
    got = [r["lines"]["l"] for r in count(bench_python, jobs)]
    assert got == expected
    assert {"in": 1, "out": 0} in got and {"in": 0, "out": 1} in got


def test_zone_visitors_once_per_tracker_id_and_dwell_in_seconds(bench_python):
    zone = {"id": "floor", "polygon": [[0.0, 0.5], [1.0, 0.5], [1.0, 1.0], [0.0, 1.0]]}
    inside, outside = box(0.5, 0.75), box(0.5, 0.25)
    frames = [[[1, *inside]]] * 15 + [[[1, *outside]]] * 5 + [[[1, *inside], [2, *inside]]] * 30 + [[[3, *outside]]]
    (r,) = count(bench_python, [{"lines": [], "zones": [zone], "frames": frames}])
    assert r["zones"]["floor"] == {"visitors": 2, "dwell_s": round((15 + 30 + 30) / FPS, 2)}
    assert r["tracks"] == 3


def test_in_counts_on_a_rendered_entrance(bench_python, tmp_path, fixture_faces):
    """A small rendered entrance (4 walkers in, 4 out): the baseline's `in` is the truth's within its own accuracy
    (MediaPipe at 640x360 may miss a face). Leavers walk away and show no face, so it sees (almost) no `out`: a
    flipped mapping would show here as in ~0, out ~4."""
    from footfall.bench.baseline import run_baseline
    from footfall.bench.render import render_scene
    from footfall.bench.render.spec import SceneSpec

    spec = SceneSpec(seed=3, visitors=4, duration_s=40, devices=["entrance"], width=W, height=H, face_px=(24, 75),
                     store_visit_prob=0, display_pass_prob=0, return_fraction=1.0, dwell_s=(2, 3))
    truth = render_scene(spec, fixture_faces, tmp_path)
    want = sum(c["direction"] == "in" for c in truth["devices"]["entrance"]["crossings"])
    assert want >= 3
    result = run_baseline(tmp_path)
    assert result["tool"] == {"mediapipe": "0.10.21", "supervision": "0.30.9"}
    dev = result["devices"]["entrance"]
    assert dev["frames"] == truth["devices"]["entrance"]["frames"] and dev["fps"] > 0
    got = dev["lines"]["door"]
    assert want - 1 <= got["in"] <= want, (got, want)
    assert got["out"] <= 1, got
    json.dumps(result)  # the evaluate command stores it as JSON
