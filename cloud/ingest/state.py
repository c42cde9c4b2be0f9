"""The aggregator's durable state: the dedupe window of msg_ids, the spool of points not yet in InfluxDB, the bad
messages parked and the lines the database refused.

Storing a message's points and remembering its msg_id happen in one SQLite transaction: once it commits the
message is durably handled and may be acknowledged to the broker; an InfluxDB outage only makes the spool grow.
With `group=True` messages join one open transaction and `commit()` makes the whole group durable at once (one
fsync for hundreds of messages); the caller acknowledges them only after that.
"""
from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

PARKED_KEEP = 100_000
SCHEMA = """
CREATE TABLE IF NOT EXISTS seen (msg_id TEXT PRIMARY KEY, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS seen_at ON seen (at);
CREATE TABLE IF NOT EXISTS spool (id INTEGER PRIMARY KEY AUTOINCREMENT, lines TEXT NOT NULL);
-- bad messages: the last PARKED_KEEP with their reason, and a count per kind of problem forever
CREATE TABLE IF NOT EXISTS parked (id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, reason TEXT NOT NULL,
                                   topic TEXT NOT NULL, bytes INTEGER NOT NULL, head TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS parked_counts (kind TEXT PRIMARY KEY, n INTEGER NOT NULL);
-- lines the database refused (set aside so the spool behind them drains), kept like the parked messages
CREATE TABLE IF NOT EXISTS refused (id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, kind TEXT NOT NULL,
                                    reason TEXT NOT NULL, line TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS refused_counts (kind TEXT PRIMARY KEY, n INTEGER NOT NULL);
-- coded visits of the kept periods, so the linker survives a restart (any order of them links the same), and when
-- each period began (its first visit arrived: the grace of the one before runs from then); wiped with the period
CREATE TABLE IF NOT EXISTS link_visits (id INTEGER PRIMARY KEY AUTOINCREMENT, site TEXT NOT NULL, period TEXT NOT NULL,
                                        payload BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS link_periods (site TEXT NOT NULL, period TEXT NOT NULL, began_at REAL NOT NULL,
                                         PRIMARY KEY (site, period));
-- coded visits that arrived after their period closed: stored as visits, not linked; counted for the fleet's alerts
CREATE TABLE IF NOT EXISTS late_visits (site TEXT NOT NULL, device TEXT NOT NULL, period TEXT NOT NULL,
                                        n INTEGER NOT NULL, first_at REAL NOT NULL, last_at REAL NOT NULL,
                                        PRIMARY KEY (site, device, period));
"""


class IngestState:
    def __init__(self, path: str | Path, dedupe_window_s: float = 7 * 86400, dedupe_max: int = 5_000_000,
                 group: bool = False):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)
        self._lock = threading.Lock()
        self.window_s = dedupe_window_s
        self.max_ids = dedupe_max
        self._accepted = 0
        self.group = group
        self._open = False

    def seen(self, msg_id: str) -> bool:
        with self._lock:
            return self._db.execute("SELECT 1 FROM seen WHERE msg_id = ?", (msg_id,)).fetchone() is not None

    def accept(self, msg_id: str, lines: list[str], checkpoint: tuple[str, str, bytes] | None = None) -> bool:
        """Spool the message's points, remember its id and checkpoint a coded visit, atomically.
        False if the id was already there."""
        with self._lock:
            if not self._open:
                self._db.execute("BEGIN IMMEDIATE")
                self._open = True
            try:
                self._db.execute("INSERT INTO seen VALUES (?, ?)", (msg_id, time.time()))
            except sqlite3.IntegrityError:
                return False
            if lines:
                self._db.execute("INSERT INTO spool (lines) VALUES (?)", ("\n".join(lines),))
            if checkpoint:
                self._db.execute("INSERT INTO link_visits (site, period, payload) VALUES (?, ?, ?)", checkpoint)
            if not self.group:
                self._db.execute("COMMIT")
                self._open = False
            self._accepted += 1
            if self._accepted % 10_000 == 0:
                self._trim()
            return True

    def _trim(self) -> None:
        """Bound the dedupe window by age and by size (redeliveries come within minutes, replays within days), and
        the parked messages and refused lines to the last PARKED_KEEP each (their counts per kind stay)."""
        self._db.execute("DELETE FROM parked WHERE id <= (SELECT max(id) FROM parked) - ?", (PARKED_KEEP,))
        self._db.execute("DELETE FROM refused WHERE id <= (SELECT max(id) FROM refused) - ?", (PARKED_KEEP,))
        self._db.execute("DELETE FROM seen WHERE at < ?", (time.time() - self.window_s,))
        excess = self._db.execute("SELECT count(*) FROM seen").fetchone()[0] - self.max_ids
        if excess > 0:
            self._db.execute("DELETE FROM seen WHERE msg_id IN (SELECT msg_id FROM seen ORDER BY at LIMIT ?)", (excess,))

    def park(self, kind: str, reason: str, topic: str, size: int, head: str) -> None:
        with self._lock:
            if not self._open:
                self._db.execute("BEGIN IMMEDIATE")
                self._open = True
            self._db.execute("INSERT INTO parked (at, reason, topic, bytes, head) VALUES (?, ?, ?, ?, ?)",
                             (time.time(), reason, topic, size, head))
            self._db.execute("INSERT INTO parked_counts VALUES (?, 1) ON CONFLICT(kind) DO UPDATE SET n = n + 1", (kind,))
            if not self.group:
                self._db.execute("COMMIT")
                self._open = False

    def parked_counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._db.execute("SELECT kind, n FROM parked_counts"))

    def commit(self) -> None:
        """Make every message accepted since the last commit durable."""
        with self._lock:
            if self._open:
                self._db.execute("COMMIT")
                self._open = False

    def checkpointed(self, site: str) -> list[bytes]:
        with self._lock:
            return [bytes(r[0]) for r in self._db.execute("SELECT payload FROM link_visits WHERE site = ? ORDER BY id", (site,))]

    def _write(self, *statements: tuple[str, tuple]) -> None:
        """Statements that join the open group (committed with the message being handled), or commit at once."""
        with self._lock:
            if not self._open:
                self._db.execute("BEGIN IMMEDIATE")
                self._open = True
            for sql, args in statements:
                self._db.execute(sql, args)
            if not self.group:
                self._db.execute("COMMIT")
                self._open = False

    def wipe(self, site: str, period: str) -> None:
        """The period is closed: its coded visits and its begin time go."""
        self._write(("DELETE FROM link_visits WHERE site = ? AND period = ?", (site, period)),
                    ("DELETE FROM link_periods WHERE site = ? AND period = ?", (site, period)))

    def period_began(self, site: str, period: str, at: float) -> None:
        self._write(("INSERT OR IGNORE INTO link_periods VALUES (?, ?, ?)", (site, period, at)))

    def periods_began(self, site: str) -> dict[str, float]:
        with self._lock:
            return dict(self._db.execute("SELECT period, began_at FROM link_periods WHERE site = ?", (site,)))

    def late(self, site: str, device: str, period: str, n: int = 1) -> None:
        """Coded visits of a closed period (too late to link); they were stored as visits all the same."""
        now = time.time()
        self._write(("INSERT INTO late_visits VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(site, device, period) "
                     "DO UPDATE SET n = n + excluded.n, last_at = excluded.last_at", (site, device, period, n, now, now)))

    def late_visits(self) -> list[dict]:
        """Coded visits that arrived too late to be linked, per site, device and period, with when the first and the
        last of them arrived (Unix seconds): for the fleet view's alerts (a device that was offline past the grace)."""
        with self._lock:
            rows = self._db.execute("SELECT site, device, period, n, first_at, last_at FROM late_visits "
                                    "ORDER BY last_at DESC").fetchall()
        return [dict(zip(("site", "device", "period", "visits", "first_at", "last_at"), r)) for r in rows]

    def pending(self, max_lines: int = 5000) -> tuple[int, list[str]]:
        """(last spool id, lines) of the oldest spooled points, about max_lines of them."""
        with self._lock:
            rows = self._db.execute("SELECT id, lines FROM spool ORDER BY id LIMIT ?", (max(1, max_lines // 4),)).fetchall()
        lines: list[str] = []
        last = 0
        for rid, text in rows:
            lines.extend(text.split("\n"))
            last = rid
            if len(lines) >= max_lines:
                break
        return last, lines

    def written(self, up_to_id: int, refused: list[tuple[str, str, str]] = ()) -> None:
        """The spool up to up_to_id is done: written, apart from the `refused` lines, (kind, the database's reason,
        line), which are set aside here in the same transaction."""
        # inside an open group this commits with the group: after a crash both roll back together and the rows are
        # written again, which the idempotent points absorb
        with self._lock:
            own = not self._open
            if own:
                self._db.execute("BEGIN IMMEDIATE")
            now = time.time()
            for kind, reason, line in refused:
                self._db.execute("INSERT INTO refused (at, kind, reason, line) VALUES (?, ?, ?, ?)", (now, kind, reason, line))
                self._db.execute("INSERT INTO refused_counts VALUES (?, 1) ON CONFLICT(kind) DO UPDATE SET n = n + 1", (kind,))
            self._db.execute("DELETE FROM spool WHERE id <= ?", (up_to_id,))
            if own:
                self._db.execute("COMMIT")

    def refused_counts(self) -> dict[str, int]:
        """Lines the database refused, per kind of reason, since this state began (for the fleet's alerts)."""
        with self._lock:
            return dict(self._db.execute("SELECT kind, n FROM refused_counts"))

    def refused_lines(self, limit: int = 100) -> list[dict]:
        """The latest refused lines, newest first: at (Unix seconds), kind, the database's reason, the line."""
        with self._lock:
            rows = self._db.execute("SELECT at, kind, reason, line FROM refused ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        return [dict(zip(("at", "kind", "reason", "line"), r)) for r in rows]

    def spool_rows(self) -> int:
        with self._lock:
            return self._db.execute("SELECT count(*) FROM spool").fetchone()[0]

    def close(self) -> None:
        self.commit()
        with self._lock:
            self._db.close()
