"""Drains the spool into InfluxDB in batches; one bad line never holds up the lines behind it.

- The database is down or overloaded (no answer, 5xx, 429), or answers what an operator must fix (e.g. 401): the
  request is retried with backoff and the spool (on disk) keeps everything meanwhile. A missing database is created.
- The database refuses lines for what they are (400 / 413 / 422: a field type conflict, points beyond the retention
  policy, a max-values-per-tag limit, bad syntax): the batch is split in halves until each refused line stands
  alone; those are set aside with the database's reason (ingest state: kept, counted per kind, logged once per
  kind, announced on the dead-letter topic) and everything else is written.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable

from tenacity import Retrying, retry_if_exception, wait_exponential_jitter

from footfall.cloud.ingest.state import IngestState

from .influx import InfluxError, InfluxV1

log = logging.getLogger(__name__)
BATCH_LINES = 5000


def write_refusing(write: Callable[[list[str]], None], lines: list[str]) -> list[tuple[str, InfluxError]]:
    """Write `lines`, splitting wherever the database refuses; returns each refused line with the database's answer
    to it. Lines a partial write stored may be sent again on the way, which rewrites the same points (same series
    and time). Any other error propagates."""
    try:
        write(lines)
        return []
    except InfluxError as e:
        if not e.refused:
            raise
        if len(lines) == 1 or e.dropped == len(lines):
            return [(line, e) for line in lines]
        half = len(lines) // 2
        return write_refusing(write, lines[:half]) + write_refusing(write, lines[half:])


class Writer:
    def __init__(self, db: InfluxV1, state: IngestState, announce: Callable[[bytes], None] = lambda body: None):
        """`announce` publishes a refused line's record (JSON) on the dead-letter topic."""
        self.db = db
        self.state = state
        self.announce = announce
        self.stop = threading.Event()
        self.wait = wait_exponential_jitter(multiplier=0.5, max=30, jitter=0.5)
        self.written_lines = 0
        self.refused: Counter[str] = Counter()  # by kind, in this process; the durable counts are in the state
        self.failures = 0  # failed requests in a row
        self._thread = threading.Thread(target=self._run, name="influx-writer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _write(self, lines: list[str]) -> None:
        """One request, retried until it succeeds or is refused; gives up (raising) only when the writer stops."""
        Retrying(retry=retry_if_exception(lambda e: isinstance(e, InfluxError) and not e.refused), wait=self.wait,
                 stop=lambda _: self.stop.is_set(), sleep=self.stop.wait, before_sleep=self._failed,
                 reraise=True)(self.db.write, lines)
        if self.failures:
            log.info("influx: writing again after %d failed attempts", self.failures)
            self.failures = 0

    def _failed(self, retry_state) -> None:
        e = retry_state.outcome.exception()
        self.failures += 1
        if self.failures == 1:
            log.error("influx: write failed, keeping %d spooled batches until it works: %s", self.state.spool_rows(), e)
        if e.missing_database:
            try:
                self.db.ensure_database()
            except InfluxError:
                pass

    def _run(self) -> None:
        while not self.stop.is_set():
            last_id, lines = self.state.pending(BATCH_LINES)
            if not lines:
                self.stop.wait(0.2)
                continue
            try:
                refused = write_refusing(self._write, lines)
            except InfluxError:  # only when stopping: the batch stays in the spool
                continue
            self.state.written(last_id, [(e.kind, e.reason, line) for line, e in refused])
            self.written_lines += len(lines) - len(refused)
            for line, e in refused:
                if e.kind not in self.refused:
                    log.warning("influx refused a line, set aside (further ones of this kind are counted, not logged): "
                                "%s: %s", e.reason, line[:300])
                self.refused[e.kind] += 1
                self.announce(json.dumps({"reason": f"database: {e.reason}", "line": line[:500]}).encode())

    def drain(self, timeout_s: float) -> bool:
        """Wait until the spool is empty (True) or the time is up."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.state.spool_rows() == 0:
                return True
            time.sleep(0.1)
        return False

    def close(self) -> None:
        self.stop.set()
        self._thread.join(timeout=5)
