"""`dropped_frames` in health counts the frames the camera delivered that the unit never processed."""
import sys
import threading
import time
import types

import cv2
import numpy as np
import pytest

from footfall.edge.app import HealthReporter, drive
from footfall.edge.capture.frame import Frame
from footfall.edge.capture.monitor import FeedMonitor
from footfall.edge.capture.reconnect import ReconnectingSource
from footfall.edge.capture.sources import CaptureError, OpenCvSource, open_source
from footfall.edge.config import EdgeConfig
from footfall.edge.pipeline import EdgePipeline

N = 60


@pytest.fixture
def video(tmp_path):
    """Frame i is uniformly grey i * 4, so a frame says which one it is."""
    path = tmp_path / "v.avi"
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (160, 120))
    for i in range(N):
        w.write(np.full((120, 160, 3), i * 4, np.uint8))
    w.release()
    return path


class Skipping:
    """A live source that was behind: it hands over only some of the frames the camera delivered."""

    is_file = False

    def __init__(self, delivered: int, handed: list[int], fail_after: bool = False):
        self.delivered, self.handed, self.fail_after = delivered, handed, fail_after
        self.frames_read = 0

    def frames(self):
        for i in self.handed:
            self.frames_read = i + 1
            yield Frame(np.full((72, 128, 3), 100, np.uint8), 1000.0 + i / 15, i, "fake")
        self.frames_read = self.delivered
        if self.fail_after:
            raise CaptureError("stream dropped")

    def close(self):
        pass


def test_health_reports_the_frames_a_skipping_source_dropped():
    cfg = EdgeConfig.model_validate({"site": "lab", "device": "skip", "role": "store", "timezone": "UTC",
                                     "privacy": {"level": "counts"}, "camera": {"source": "fake"},
                                     "health_interval_s": 5})
    # 1st stream: 20 frames delivered, 0-4 handed over, then 7, 8, 12 (gaps of 2 and 3), then it breaks after
    # reading 20 (7 more never handed over); 2nd stream: every frame of 90 handed over
    streams = [Skipping(20, [0, 1, 2, 3, 4, 7, 8, 12], fail_after=True), Skipping(90, list(range(90)))]
    stop = threading.Event()

    def opener():
        if not streams:
            stop.set()
            raise CaptureError("no more streams")
        return streams.pop(0)

    source = ReconnectingSource(opener, stop, initial_s=0.01, max_s=0.01)
    pipeline = EdgePipeline(cfg, None)
    health = HealthReporter(pipeline, cfg.health_interval_s, lambda: source.state, dropped_frames=lambda: source.dropped)
    sent = []
    drive(pipeline, source.frames(), sent.append, health, FeedMonitor())
    reports = [m for m in sent if m.kind == "health"]
    assert source.dropped == 2 + 3 + 7 and source.reconnects == 2  # each stream ended: camera lost
    assert reports and reports[-1].dropped_frames == 12  # the second stream's 6 s: reports carry the running count
    assert {m.dropped_frames for m in reports} == {12}


def test_a_live_source_skips_frames_while_the_loop_is_busy_and_counts_them(video):
    """A loop slower than the camera: the reader keeps up, the frames it grabs while the loop is busy are skipped."""
    first = []

    def opener():
        if first:
            stop.set()
            raise CaptureError("file ended")
        first.append(OpenCvSource(str(video), live=True, stall_s=0.3))
        return first[0]

    stop = threading.Event()
    source = ReconnectingSource(opener, stop, initial_s=0.01, max_s=0.01)
    got = []
    for f in source.frames():
        got.append(f)
        time.sleep(0.02)  # the pipeline's work: slower than the reader decodes
    live = first[0]
    assert live.frames_read >= N  # every frame of the file, and the failed reads at its end
    assert len(got) < N and len(got) + source.dropped == live.frames_read
    indices = [f.index for f in got]
    assert indices == sorted(set(indices))
    for f in got:  # each frame's index is the camera's frame number: its grey level tells which frame it is
        assert round(float(f.image.mean()) / 4) == f.index


def test_a_live_source_that_keeps_failing_ends_with_the_failed_reads_counted(video):
    src = OpenCvSource(str(video), live=True, stall_s=0.5)
    got = []
    with pytest.raises(CaptureError, match="stopped delivering frames"):
        for f in src.frames():
            got.append(f)
            time.sleep(0.005)
    src.close()
    failed = src.frames_read - N
    assert 3 <= failed <= 8  # about stall_s x the file's 10 fps: one per frame that did not come


def test_picamera2_numbers_frames_by_sensor_time(monkeypatch):
    period_us = 66_666
    times_ms = [0, 66.666, 133.333, 333.333, 400, 600]  # frames 3, 4 and 7, 8 were recycled by libcamera

    class Request:
        def __init__(self, t_ms):
            self.t_ms = t_ms

        def make_array(self, name):
            return np.zeros((72, 128, 3), np.uint8)

        def get_metadata(self):
            return {"SensorTimestamp": int(5e12 + self.t_ms * 1e6), "FrameDuration": period_us}

        def release(self):
            pass

    class Picamera2:
        def __init__(self):
            self.requests = iter(times_ms)

        def create_video_configuration(self, **kw):
            return kw

        def configure(self, config):
            pass

        def start(self):
            pass

        def capture_request(self):
            return Request(next(self.requests))

        def stop(self):
            pass

        def close(self):
            pass

    monkeypatch.setitem(sys.modules, "picamera2", types.SimpleNamespace(Picamera2=Picamera2))
    src = open_source("picamera2", width=128, height=72, fps=15)
    frames = src.frames()
    assert [next(frames).index for _ in times_ms] == [0, 1, 2, 5, 6, 9]
    assert src.frames_read == 10


def test_health_keeps_its_cadence_across_clock_steps():
    cfg = EdgeConfig.model_validate({"site": "lab", "device": "clock", "role": "store", "timezone": "UTC",
                                     "privacy": {"level": "counts"}, "camera": {"source": "fake"}})
    health = HealthReporter(EdgePipeline(cfg, None), 5.0, lambda: "ok")
    # 20 s at 10 fps, a step an hour ahead for 20 s, then 20 s back at the old time: one report per 5 s throughout
    times = [1000 + i / 10 for i in range(200)] + [4620 + i / 10 for i in range(200)] + [1040 + i / 10 for i in range(200)]
    reports = [(ts, h) for ts in times if (h := health.due(ts))]  # a step back once made uptime negative: a crash
    sent = [ts for ts, _ in reports]
    steps = [b - a for a, b in zip(sent, sent[1:])]
    assert len(sent) == 3 + 4 + 4 and 4620 in sent and 1040 in sent  # a report right at each step, none missed
    assert all(abs(s - 5.0) < 0.2 for s in steps if abs(s) < 1000)
    uptimes = [h.uptime_s for _, h in reports]
    assert uptimes == sorted(uptimes)
