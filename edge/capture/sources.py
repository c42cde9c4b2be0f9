"""Capture backends. Each yields Frames; hardware libraries are imported only when their backend is used."""
from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import cv2

from .frame import Frame


class CaptureError(RuntimeError):
    pass


class OpenCvSource:
    """Files, RTSP / HTTP streams, USB cameras (/dev/videoN or an index) and GStreamer pipelines via OpenCV.

    Files are replayed on their own clock: a frame's ts is `start_ts` plus its position in the file, so a
    replay produces the same events whatever the machine's speed.
    """

    def __init__(self, source: str, *, width: int | None = None, height: int | None = None, fps: float | None = None,
                 start_ts: float | None = None, gstreamer: bool = False):
        self.source = source
        self.is_file = not gstreamer and Path(source).is_file()
        target: str | int = int(source) if source.isdigit() else source
        self.cap = cv2.VideoCapture(target, cv2.CAP_GSTREAMER) if gstreamer else cv2.VideoCapture(target)
        if not self.cap.isOpened():
            raise CaptureError(f"cannot open {source!r}")
        if not self.is_file and width and height:
            self.cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
            self.cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        self.fps = self.cap.get(cv2.CAP_PROP_FPS) or fps or 15.0
        self.frame_count = int(self.cap.get(cv2.CAP_PROP_FRAME_COUNT)) if self.is_file else None
        self.start_ts = time.time() if start_ts is None else start_ts

    def frames(self) -> Iterator[Frame]:
        index = 0
        while True:
            ok, image = self.cap.read()
            if not ok:
                if self.is_file:
                    return
                raise CaptureError(f"{self.source!r} stopped delivering frames")
            ts = self.start_ts + index / self.fps if self.is_file else time.time()
            yield Frame(image, ts, index, self.source)
            index += 1

    def close(self) -> None:
        self.cap.release()


class Picamera2Source:
    """Raspberry Pi camera modules through libcamera (python3-picamera2 from Raspberry Pi OS's apt)."""

    is_file = False
    frame_count = None

    def __init__(self, *, width: int, height: int, fps: float):
        try:
            from picamera2 import Picamera2
        except ImportError:
            raise CaptureError("picamera2 is not installed: apt install python3-picamera2 (venv with system site packages)") from None
        self.source = "picamera2"
        self.fps = fps
        self.cam = Picamera2()
        config = self.cam.create_video_configuration(
            main={"size": (width, height), "format": "RGB888"},  # RGB888 in libcamera terms is BGR in memory
            controls={"FrameRate": fps})
        self.cam.configure(config)
        self.cam.start()

    def frames(self) -> Iterator[Frame]:
        index = 0
        while True:
            image = self.cam.capture_array("main")
            yield Frame(image, time.time(), index, self.source)
            index += 1

    def close(self) -> None:
        self.cam.stop()
        self.cam.close()


def jetson_csi_pipeline(width: int, height: int, fps: float, sensor_id: int = 0) -> str:
    """GStreamer pipeline for a CSI camera (IMX219) on Jetson: hardware ISP, then BGR for OpenCV."""
    return (f"nvarguscamerasrc sensor-id={sensor_id} ! video/x-raw(memory:NVMM),width={width},height={height},"
            f"framerate={round(fps)}/1 ! nvvidconv ! video/x-raw,format=BGRx ! videoconvert ! video/x-raw,format=BGR ! "
            "appsink drop=true max-buffers=1")


def open_source(source: str, backend: str = "auto", *, width: int = 1280, height: int = 720, fps: float = 15.0,
                start_ts: float | None = None):
    if backend == "auto":
        backend = "picamera2" if source == "picamera2" else "gstreamer" if (source.startswith("csi") or "!" in source) else "opencv"
    if backend == "picamera2":
        return Picamera2Source(width=width, height=height, fps=fps)
    if backend == "gstreamer":
        pipeline = source
        if source.startswith("csi"):  # "csi" or "csi:1": a Jetson CSI sensor
            pipeline = jetson_csi_pipeline(width, height, fps, int(source.partition(":")[2] or 0))
        return OpenCvSource(pipeline, fps=fps, gstreamer=True)
    return OpenCvSource(source, width=width, height=height, fps=fps, start_ts=start_ts)
