"""What was sent: one row per (site, store, report, period) in state_dir/reports.sqlite, so a re-run or a timer
retry sends nothing twice unless forced; failures are kept too, for the log and the fleet's alerts.

A row is written after the SMTP server accepted the message. A crash between the two can resend once (at least
once, never silently lost); a lock file keeps two runs (timer and a manual run) from overlapping."""
from __future__ import annotations

import fcntl
import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS sent (
    site TEXT NOT NULL, store TEXT NOT NULL, kind TEXT NOT NULL, period TEXT NOT NULL,
    message_id TEXT NOT NULL, recipients TEXT NOT NULL, sent_at REAL NOT NULL, attempts INTEGER NOT NULL,
    PRIMARY KEY (site, store, kind, period)
);
CREATE TABLE IF NOT EXISTS failures (
    site TEXT NOT NULL, store TEXT NOT NULL, kind TEXT NOT NULL, period TEXT NOT NULL,
    error TEXT NOT NULL, at REAL NOT NULL, attempts INTEGER NOT NULL
);
"""


class Ledger:
    def __init__(self, state_dir: Path):
        state_dir.mkdir(parents=True, exist_ok=True)
        self.path = state_dir / "reports.sqlite"
        self.db = sqlite3.connect(self.path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(SCHEMA)
        self._lock_path = state_dir / "reports.lock"

    @contextmanager
    def exclusive(self):
        """Held for a whole run: a second run waits instead of sending the same reports at the same time."""
        with open(self._lock_path, "w") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                yield self
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    def was_sent(self, site: str, store: str, kind: str, period: str) -> bool:
        return self.db.execute("SELECT 1 FROM sent WHERE site=? AND store=? AND kind=? AND period=?",
                               (site, store, kind, period)).fetchone() is not None

    def record_sent(self, site: str, store: str, kind: str, period: str, message_id: str, recipients: list[str],
                    attempts: int) -> None:
        self.db.execute("INSERT OR REPLACE INTO sent VALUES (?,?,?,?,?,?,?,?)",
                        (site, store, kind, period, message_id, ",".join(recipients), time.time(), attempts))

    def record_failure(self, site: str, store: str, kind: str, period: str, error: str, attempts: int) -> None:
        self.db.execute("INSERT INTO failures VALUES (?,?,?,?,?,?,?)",
                        (site, store, kind, period, error[:500], time.time(), attempts))

    def sent(self) -> list[dict]:
        cur = self.db.execute("SELECT * FROM sent ORDER BY sent_at")
        cols = [c[0] for c in cur.description]
        return [dict(zip(cols, row)) for row in cur]

    def failures(self, since: float = 0.0) -> list[dict]:
        cur = self.db.execute("SELECT * FROM failures WHERE at >= ? ORDER BY at", (since,))
        cols = [c[0] for c in cur.description]
        return [dict(zip(cols, row)) for row in cur]

    def close(self) -> None:
        self.db.close()
