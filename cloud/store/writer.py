"""Drains the spool into InfluxDB in batches; while the database is down the spool (on disk) keeps everything."""
from __future__ import annotations

import logging
import threading

from tenacity import wait_exponential_jitter

from footfall.cloud.ingest.state import IngestState

from .influx import InfluxError, InfluxV1

log = logging.getLogger(__name__)
BATCH_LINES = 5000


class _Attempt:
    def __init__(self, n: int):
        self.attempt_number = n


class Writer:
    def __init__(self, db: InfluxV1, state: IngestState):
        self.db = db
        self.state = state
        self.stop = threading.Event()
        self.wait = wait_exponential_jitter(multiplier=0.5, max=30, jitter=0.5)
        self.written_lines = 0
        self._thread = threading.Thread(target=self._run, name="influx-writer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        failures = 0
        while not self.stop.is_set():
            last_id, lines = self.state.pending(BATCH_LINES)
            if not lines:
                self.stop.wait(0.2)
                continue
            try:
                self.db.write(lines)
            except InfluxError as e:
                failures += 1
                if failures == 1:
                    log.error("influx: write failed, keeping %d spooled batches until it works: %s", self.state.spool_rows(), e)
                if not e.retryable and "database not found" in str(e):
                    try:
                        self.db.ensure_database()
                    except InfluxError:
                        pass
                self.stop.wait(self.wait(_Attempt(failures)))
                continue
            if failures:
                log.info("influx: writing again after %d failed attempts", failures)
                failures = 0
            self.state.written(last_id)
            self.written_lines += len(lines)

    def drain(self, timeout_s: float) -> bool:
        """Wait until the spool is empty (True) or the time is up."""
        import time

        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.state.spool_rows() == 0:
                return True
            time.sleep(0.1)
        return False

    def close(self) -> None:
        self.stop.set()
        self._thread.join(timeout=5)
