"""A live camera that drops out is reopened with exponential backoff; its state is reported in health."""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator

from tenacity import Retrying, retry_if_exception_type, wait_exponential_jitter

from .frame import Frame
from .sources import CaptureError

log = logging.getLogger(__name__)
IDLE_TICK_S = 1.0


class ReconnectingSource:
    def __init__(self, open_fn: Callable[[], object], stop: threading.Event | None = None,
                 initial_s: float = 1.0, max_s: float = 60.0, on_idle: Callable[[], None] = lambda: None):
        self.open_fn = open_fn
        self.stop = stop or threading.Event()
        self.on_idle = on_idle  # called at least every IDLE_TICK_S while there is no camera
        self.wait = wait_exponential_jitter(multiplier=initial_s, max=max_s, jitter=initial_s)
        self.state = "lost"
        self.reconnects = 0

    def _open(self):
        for attempt in Retrying(retry=retry_if_exception_type(CaptureError), wait=self.wait, reraise=True,
                                sleep=self._sleep,
                                before_sleep=lambda rs: log.warning("camera: %s; retrying", rs.outcome.exception())):
            with attempt:
                if self.stop.is_set():
                    return None
                return self.open_fn()

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
            source = self._open()
            if source is None:
                return
            self.state = "ok"
            try:
                yield from source.frames()
                if getattr(source, "is_file", False):
                    return  # a file that ended is done, not lost
            except CaptureError as e:
                log.warning("camera lost: %s", e)
            finally:
                source.close()
            self.state = "lost"
            self.reconnects += 1
