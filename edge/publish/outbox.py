"""Durable outbox: every message is committed to SQLite before anyone tries to send it, and deleted only once the
broker acknowledged it (PUBACK). A crash, a reboot or a broker outage loses nothing that was committed.

The disk budget is `max_mb`: when it is reached the oldest messages are dropped first, and every drop is counted
(persisted, reported in health) and logged: never silently.
"""
from __future__ import annotations

import logging
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY, topic TEXT NOT NULL, payload BLOB NOT NULL,
                                   retain INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO meta VALUES ('next_seq', 0), ('dropped', 0);
"""


@dataclass(frozen=True)
class Pending:
    seq: int
    topic: str
    payload: bytes
    retain: bool


class Outbox:
    def __init__(self, path: str | Path, max_mb: float = 256):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.max_bytes = int(max_mb * 1024 * 1024)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        # WAL + FULL: a committed message survives kill -9 and power loss; writes are a few per minute
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)
        self.added = threading.Event()

    def _meta(self, key: str) -> int:
        return self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()[0]

    def next_seq(self) -> int:
        """Reserve the next message number (persisted, so numbers never repeat across restarts)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            n = self._meta("next_seq")
            self._db.execute("UPDATE meta SET value = ? WHERE key = 'next_seq'", (n + 1,))
            self._db.execute("COMMIT")
            return n

    def last_seq(self) -> int:
        with self._lock:
            return self._meta("next_seq") - 1

    def put(self, seq: int, topic: str, payload: bytes, retain: bool = False) -> None:
        with self._lock:
            while True:
                try:
                    self._db.execute("INSERT OR REPLACE INTO outbox VALUES (?, ?, ?, ?)", (seq, topic, payload, int(retain)))
                    break
                except sqlite3.OperationalError as e:
                    if "full" not in str(e) or not self._drop_oldest(100, f"disk full ({e})"):
                        raise
            if self._size() > self.max_bytes:
                self._drop_oldest(max(1, self.depth_unlocked() // 10), f"outbox over its {self.max_bytes // 2**20} MB budget")
        self.added.set()

    def _size(self) -> int:
        pages = self._db.execute("PRAGMA page_count").fetchone()[0] - self._db.execute("PRAGMA freelist_count").fetchone()[0]
        return pages * self._db.execute("PRAGMA page_size").fetchone()[0]

    def _drop_oldest(self, n: int, why: str) -> int:
        rows = self._db.execute("SELECT seq FROM outbox ORDER BY seq LIMIT ?", (n,)).fetchall()
        if not rows:
            return 0
        self._db.execute("BEGIN IMMEDIATE")
        self._db.execute("DELETE FROM outbox WHERE seq <= ?", (rows[-1][0],))
        self._db.execute("UPDATE meta SET value = value + ? WHERE key = 'dropped'", (len(rows),))
        self._db.execute("COMMIT")
        log.error("outbox: dropped the %d oldest messages (seq %d..%d): %s", len(rows), rows[0][0], rows[-1][0], why)
        return len(rows)

    def oldest(self, n: int = 50, after: int = -1) -> list[Pending]:
        with self._lock:
            rows = self._db.execute("SELECT seq, topic, payload, retain FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?",
                                    (after, n)).fetchall()
        return [Pending(s, t, bytes(p), bool(r)) for s, t, p, r in rows]

    def ack(self, seq: int) -> None:
        with self._lock:
            self._db.execute("DELETE FROM outbox WHERE seq = ?", (seq,))

    def depth_unlocked(self) -> int:
        return self._db.execute("SELECT count(*) FROM outbox").fetchone()[0]

    def depth(self) -> int:
        with self._lock:
            return self.depth_unlocked()

    def dropped(self) -> int:
        with self._lock:
            return self._meta("dropped")

    def close(self) -> None:
        with self._lock:
            self._db.close()
