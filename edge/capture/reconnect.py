"""A live camera that drops out is reopened with exponential backoff; its state and dropped frames go to health.

The backoff is tenacity's: `Retrying` retries a CaptureError until the service stops, waits exponentially with
jitter, and logs each retry through `before_sleep_log`. Its `sleep` is ours only so that the wait passes in ticks
of IDLE_TICK_S: a unit without its camera keeps feeding the systemd watchdog and keeps reporting `lost` in health.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator

from tenacity import (Retrying, before_sleep_log, retry_if_exception_type, stop_when_event_set, wait_exponential,
                      wait_random)

from .frame import Frame
from .sources import CaptureError

log = logging.getLogger(__name__)
IDLE_TICK_S = 1.0


class ReconnectingSource:
    """Frames of a source reopened whenever it fails, until `stop` is set.

    `dropped` counts the frames the camera delivered that the loop never got: gaps in `Frame.index` (a live
    source hands over only its newest frame, failed reads advance the index too) and, when a source ends, what
    it read after the last frame it handed over (its `frames_read`).
    """

    def __init__(self, open_fn: Callable[[], object], stop: threading.Event | None = None,
                 initial_s: float = 1.0, max_s: float = 60.0, on_idle: Callable[[], None] = lambda: None):
        self.open_fn = open_fn
        self.stop = stop or threading.Event()
        self.on_idle = on_idle  # called at least every IDLE_TICK_S while there is no camera
        self.state = "lost"
        self.reconnects = 0
        self.dropped = 0
        self.retrying = Retrying(
            retry=retry_if_exception_type(CaptureError),
            stop=stop_when_event_set(self.stop),
            wait=wait_exponential(multiplier=initial_s, max=max_s) + wait_random(0, initial_s),
            sleep=self._sleep,
            before_sleep=before_sleep_log(log, logging.WARNING),
            retry_error_callback=lambda _: None,  # stopped while waiting for the camera: no source, no error
        )

    def _open(self):
        return None if self.stop.is_set() else self.open_fn()

    def _sleep(self, seconds: float) -> None:
        """Back off in short ticks: the service stays alive for its watchdog and keeps reporting `lost` in health."""
        end = time.monotonic() + seconds
        while not self.stop.is_set():
            self.on_idle()
            left = end - time.monotonic()
            if left <= 0 or self.stop.wait(min(left, IDLE_TICK_S)):
                return

    def frames(self) -> Iterator[Frame]:
        while not self.stop.is_set():
            source = self.retrying(self._open)
            if source is None:
                return
            self.state = "ok"
            handed = 0  # index after the last frame handed over
            try:
                for frame in source.frames():
                    self.dropped += max(0, frame.index - handed)
                    handed = frame.index + 1
                    yield frame
                if getattr(source, "is_file", False):
                    return  # a file that ended is done, not lost
            except CaptureError as e:
                log.warning("camera lost: %s", e)
            finally:
                source.close()
                self.dropped += max(0, getattr(source, "frames_read", handed) - handed)
            self.state = "lost"
            self.reconnects += 1
