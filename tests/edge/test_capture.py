import threading
import time

import cv2
import numpy as np
import pytest

from footfall.edge.capture.frame import Frame
from footfall.edge.capture.monitor import FeedMonitor
from footfall.edge.capture.reconnect import ReconnectingSource
from footfall.edge.capture.sources import CaptureError, OpenCvSource, jetson_csi_pipeline, open_source


@pytest.fixture
def video(tmp_path):
    path = tmp_path / "v.mp4"
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10, (160, 120))
    for i in range(25):
        w.write(np.full((120, 160, 3), i * 10, np.uint8))
    w.release()
    return path


def test_file_frames_carry_video_time(video):
    src = OpenCvSource(str(video), start_ts=1000.0)
    frames = list(src.frames())
    assert len(frames) == 25 == src.frame_count
    assert [f.index for f in frames[:3]] == [0, 1, 2]
    assert frames[10].ts == pytest.approx(1001.0) and frames[0].size == (160, 120)


def test_unopenable_source_is_a_capture_error(tmp_path):
    with pytest.raises(CaptureError, match="cannot open"):
        OpenCvSource(str(tmp_path / "missing.mp4"))


def test_backend_selection():
    assert "nvarguscamerasrc sensor-id=1" in jetson_csi_pipeline(1280, 720, 15, 1)
    with pytest.raises(CaptureError, match="picamera2"):
        open_source("picamera2")  # not installed here: a clear error, not an ImportError


def test_lost_camera_reconnects_with_backoff(video):
    attempts = []

    class Flaky:
        is_file = False

        def __init__(self):
            self.inner = OpenCvSource(str(video), start_ts=0)

        def frames(self):
            for i, f in enumerate(self.inner.frames()):
                if i == 5:
                    raise CaptureError("stream dropped")
                yield f

        def close(self):
            self.inner.close()

    def opener():
        attempts.append(1)
        if len(attempts) == 2:
            raise CaptureError("camera not answering")
        return Flaky()

    stop = threading.Event()
    src = ReconnectingSource(opener, stop, initial_s=0.01, max_s=0.02)
    got = []
    for f in src.frames():
        got.append(f)
        if len(got) == 10:
            stop.set()
            break
    assert len(got) == 10 and len(attempts) == 3 and src.reconnects >= 1


def frame(value, ts, noise=0):
    img = np.full((72, 128, 3), value, np.uint8)
    if noise:
        img = np.clip(img + np.random.default_rng(int(ts * 10)).normal(0, noise, img.shape), 0, 255).astype(np.uint8)
    return Frame(img, ts, 0, "t")


def test_monitor_notices_a_moved_camera():
    rng = np.random.default_rng(3)
    scene = cv2.GaussianBlur(rng.integers(0, 255, (360, 640, 3), dtype=np.uint8), (0, 0), 6)
    scene = cv2.normalize(scene, None, 0, 255, cv2.NORM_MINMAX)
    m = FeedMonitor(learn_s=5, check_every_s=1)

    def noisy(img, ts):
        n = np.random.default_rng(int(ts * 10)).normal(0, 4, img.shape)
        return Frame(np.clip(img + n, 0, 255).astype(np.uint8), ts, 0, "t")

    states = [m.update(noisy(scene, i * 0.2)) for i in range(100)]  # 20 s, same view
    assert set(states) == {"ok"} and m.view_similarity > 0.8
    turned = np.roll(scene, (60, 120), axis=(0, 1))
    states = [m.update(noisy(turned, 20 + i * 0.2)) for i in range(150)]
    assert states[-1] == "moved"


def test_monitor_flags_frozen_and_dark_feeds():
    m = FeedMonitor(frozen_after_s=2, dark_after_s=2)
    for i in range(40):  # a live scene: sensor noise keeps changing the picture
        assert m.update(frame(120, i * 0.1, noise=8)) == "ok"
    states = [m.update(frame(120, 4 + i * 0.1)) for i in range(30)]  # identical frames
    assert states[0] == "ok" and states[-1] == "frozen"
    states = [m.update(frame(3, 8 + i * 0.1, noise=2)) for i in range(30)]
    assert states[-1] == "dark"
    assert m.update(frame(120, 12, noise=8)) == "ok"


def test_waiting_for_a_camera_keeps_calling_on_idle():
    """A missing camera must not starve the watchdog or silence health while the backoff waits."""
    stop = threading.Event()
    ticks = []

    def opener():
        raise CaptureError("cannot open '/dev/video9'")

    src = ReconnectingSource(opener, stop, initial_s=5.0, max_s=5.0, on_idle=lambda: ticks.append(time.monotonic()))
    threading.Timer(2.6, stop.set).start()
    assert list(src.frames()) == [] and src.state == "lost"
    assert len(ticks) >= 3 and max(b - a for a, b in zip(ticks, ticks[1:])) <= 1.5


@pytest.mark.scene
def test_service_without_its_camera_stays_up_and_reports_it_lost(tmp_path):
    """`run` with an absent camera: it keeps running (no watchdog starvation) and queues health saying `lost`."""
    import json
    import sqlite3

    from footfall.edge.app import run
    from footfall.edge.config import EdgeConfig

    cfg = EdgeConfig.model_validate({"site": "lab", "device": "cam-gone", "role": "entrance", "timezone": "UTC",
                                     "privacy": {"level": "counts"}, "camera": {"source": "/dev/video-missing"},
                                     "health_interval_s": 5, "outbox": {"dir": str(tmp_path)},
                                     "mqtt": {"host": "127.0.0.1", "port": 1}})  # no broker: messages stay queued
    stop = threading.Event()
    threading.Timer(11.5, stop.set).start()
    assert run(cfg, stop=stop) == 0
    with sqlite3.connect(tmp_path / "outbox.sqlite") as db:
        health = [json.loads(p) for t, p in db.execute("SELECT topic, payload FROM outbox") if t.endswith("/health")]
    assert len(health) >= 2 and {h["camera"] for h in health} == {"lost"}
