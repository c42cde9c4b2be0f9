"""Capture backends. Each yields Frames; hardware libraries are imported only when their backend is used."""
from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import cv2

from .frame import Frame
from .urls import has_login, redact


class CaptureError(RuntimeError):
    pass


class OpenCvSource:
    """Files, RTSP / HTTP streams, USB cameras (/dev/videoN or an index) and GStreamer pipelines via OpenCV.

    Files are replayed on their own clock: a frame's ts is `start_ts` plus its position in the file, so a
    replay produces the same events whatever the machine's speed, and every frame is processed.

    A live source is read on its own thread at the camera's pace, so the camera's and the driver's buffers never
    fill up and frames never queue behind a slow loop: the first frame grabbed after the loop took the previous
    one is decoded and waits for it (stamped with its grab time), the ones grabbed while it waits are skipped
    without being decoded. Every frame the camera delivered, and every read that failed, advances `Frame.index`
    (and `frames_read`): a gap between two frames is frames dropped.
    Reads that keep failing for `stall_s` end the stream with a CaptureError (the caller reconnects); a read stuck
    in the driver, which never returns to fail, ends it after twice that.

    `source` may hold a login (see urls.with_credentials); only `name`, its redacted form, is ever shown.
    """

    def __init__(self, source: str, *, width: int | None = None, height: int | None = None, fps: float | None = None,
                 start_ts: float | None = None, gstreamer: bool = False, live: bool | None = None,
                 stall_s: float = 5.0, name: str | None = None):
        self.name = self.source = name or redact(source)
        self.is_file = not gstreamer and Path(source).is_file()
        self.live = not self.is_file if live is None else live
        self.stall_s = stall_s
        target: str | int = int(source) if source.isdigit() else source
        # A URL with a login goes to FFmpeg alone: OpenCV's other backends print the name they failed to open
        # (e.g. the image-sequence reader, which takes the percent-encoded password for a %d pattern).
        api = cv2.CAP_GSTREAMER if gstreamer else cv2.CAP_FFMPEG if has_login(source) else cv2.CAP_ANY
        self.cap = cv2.VideoCapture(target, api)
        if not self.cap.isOpened():
            raise CaptureError(f"cannot open {self.name!r}")
        if not self.is_file and width and height:
            self.cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
            self.cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        self.fps = self.cap.get(cv2.CAP_PROP_FPS) or fps or 15.0
        self.frame_count = int(self.cap.get(cv2.CAP_PROP_FRAME_COUNT)) if self.is_file else None
        self.start_ts = time.time() if start_ts is None else start_ts
        self._period_s = 1 / min(fps or self.fps, 120.0)  # streams may report a timebase (90000) as their fps
        self.frames_read = 0  # frames taken from the camera, failed reads included
        self._reader: threading.Thread | None = None
        self._closing = threading.Event()
        self._ready = threading.Condition()
        self._pending: Frame | None = None  # the decoded frame waiting for the loop
        self._error: CaptureError | None = None

    def frames(self) -> Iterator[Frame]:
        return self._live_frames() if self.live else self._file_frames()

    def _file_frames(self) -> Iterator[Frame]:
        while True:
            ok, image = self.cap.read()
            if not ok:
                if self.is_file:
                    return
                raise CaptureError(f"{self.name!r} stopped delivering frames")
            index = self.frames_read
            self.frames_read += 1
            ts = self.start_ts + index / self.fps if self.is_file else time.time()
            yield Frame(image, ts, index, self.name)

    def _live_frames(self) -> Iterator[Frame]:
        self._reader = threading.Thread(target=self._read, name="camera-reader", daemon=True)
        self._reader.start()
        while True:
            with self._ready:
                # twice the reader's window: reads that fail (and are counted) are the reader's to report
                if not self._ready.wait_for(lambda: self._pending is not None or self._error is not None,
                                            timeout=2 * self.stall_s):
                    raise CaptureError(f"{self.name!r} delivered no frame for {2 * self.stall_s:g} s")
                frame, self._pending = self._pending, None
                if frame is None:
                    raise self._error
            yield frame

    def _read(self) -> None:
        """The reader thread: the only one that touches `cap` once `frames()` started."""
        failing_since = None
        try:
            while not self._closing.is_set():
                ok = self.cap.grab()
                ts = time.time()
                index = self.frames_read
                self.frames_read += 1
                if ok:
                    with self._ready:
                        wanted = self._pending is None  # the loop took the last one: decode this one for it
                    if wanted:
                        ok, image = self.cap.retrieve()
                        if ok:
                            with self._ready:
                                self._pending = Frame(image, ts, index, self.name)
                                self._ready.notify_all()
                if ok:
                    failing_since = None
                    continue
                failing_since = failing_since or time.monotonic()
                if time.monotonic() - failing_since >= self.stall_s:
                    raise CaptureError(f"{self.name!r} stopped delivering frames")
                self._closing.wait(self._period_s)  # a failed read stands for the frame due in that time
        except Exception as e:  # noqa: BLE001 - whatever ends the stream reaches the loop as a CaptureError
            with self._ready:
                self._error = e if isinstance(e, CaptureError) else CaptureError(f"{self.name!r}: {type(e).__name__}")
                self._ready.notify_all()
        finally:
            self.cap.release()

    def close(self) -> None:
        self._closing.set()
        if self._reader is None:
            self.cap.release()
        else:  # the reader releases the capture itself; a read stuck in the driver must not hold up the loop
            self._reader.join(timeout=2.0)


class Picamera2Source:
    """Raspberry Pi camera modules through libcamera (python3-picamera2 from Raspberry Pi OS's apt).

    Frames are numbered from the sensor's timestamps, so frames libcamera recycled while the loop was busy show
    as a gap in `Frame.index` (dropped frames), as with the other live sources.
    """

    is_file = False
    frame_count = None

    def __init__(self, *, width: int, height: int, fps: float):
        try:
            from picamera2 import Picamera2
        except ImportError:
            raise CaptureError("picamera2 is not installed: apt install python3-picamera2 (venv with system site packages)") from None
        self.source = self.name = "picamera2"
        self.fps = fps
        self.frames_read = 0
        self.cam = Picamera2()
        config = self.cam.create_video_configuration(
            main={"size": (width, height), "format": "RGB888"},  # RGB888 in libcamera terms is BGR in memory
            controls={"FrameRate": fps})
        self.cam.configure(config)
        self.cam.start()

    def frames(self) -> Iterator[Frame]:
        index, last_ns = -1, None
        while True:
            request = self.cam.capture_request()
            try:
                image = request.make_array("main")
                meta = request.get_metadata()
            finally:
                request.release()
            sensor_ns, duration_us = meta.get("SensorTimestamp"), meta.get("FrameDuration")
            step = 1
            if last_ns is not None and sensor_ns and duration_us:
                step = max(1, round((sensor_ns - last_ns) / (duration_us * 1000)))
            index, last_ns = index + step, sensor_ns
            self.frames_read = index + 1
            yield Frame(image, time.time(), index, self.source)

    def close(self) -> None:
        self.cam.stop()
        self.cam.close()


def jetson_csi_pipeline(width: int, height: int, fps: float, sensor_id: int = 0) -> str:
    """GStreamer pipeline for a CSI camera (IMX219) on Jetson: hardware ISP, then BGR for OpenCV."""
    return (f"nvarguscamerasrc sensor-id={sensor_id} ! video/x-raw(memory:NVMM),width={width},height={height},"
            f"framerate={round(fps)}/1 ! nvvidconv ! video/x-raw,format=BGRx ! videoconvert ! video/x-raw,format=BGR ! "
            "appsink drop=true max-buffers=1")


def open_source(source: str, backend: str = "auto", *, width: int = 1280, height: int = 720, fps: float = 15.0,
                start_ts: float | None = None, name: str | None = None):
    """The backend for `source`; `name` is what logs and errors show (default: `source` with any password hidden)."""
    if backend == "auto":
        backend = "picamera2" if source == "picamera2" else "gstreamer" if (source.startswith("csi") or "!" in source) else "opencv"
    if backend == "picamera2":
        return Picamera2Source(width=width, height=height, fps=fps)
    if backend == "gstreamer":
        pipeline = source
        if source.startswith("csi"):  # "csi" or "csi:1": a Jetson CSI sensor
            pipeline = jetson_csi_pipeline(width, height, fps, int(source.partition(":")[2] or 0))
        return OpenCvSource(pipeline, fps=fps, gstreamer=True, name=name)
    return OpenCvSource(source, width=width, height=height, fps=fps, start_ts=start_ts, name=name)
