"""Forwards recognition alerts to the site's webhooks (JSON POST), off the ingest thread, until each is accepted.

The VIP payload carries the opaque ref (the member consented to the CRM link); the watchlist payload carries its ref
only to the security webhook (InfluxDB keeps none) and says that a person must confirm the match first.

Deliveries wait in a SQLite file in the cloud's state directory, written before the ingest acknowledges the alert, and
leave it only when the receiver answers 2xx: a receiver down for hours, or an ingest restart meanwhile, loses no
alert. Retries back off exponentially up to MAX_BACKOFF_S, per delivery, so one dead receiver holds up no other.
"""
from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
import urllib.request
from pathlib import Path

from footfall.cloud.query.recognition import HUMAN_CONFIRMATION
from footfall.protocol import AlertMessage

log = logging.getLogger(__name__)
BACKOFF_S = 1.0
MAX_BACKOFF_S = 300.0


def payload(m: AlertMessage) -> dict:
    body = {"list": m.list, "ref": m.entry, "site": m.site, "device": m.device, "seen_at": m.seen_at.isoformat(),
            "score": m.score, "msg_id": m.msg_id}
    if m.list == "watchlist":
        body |= {"human_confirmation_required": True, "confirmation": HUMAN_CONFIRMATION}
    return body


class Forwarder:
    def __init__(self, sites: dict, path: Path, timeout_s: float = 5.0, backoff_s: float = BACKOFF_S):
        """`sites`: site id -> cloud.config.Site (its `alert_webhooks`); `path`: the deliveries' SQLite file."""
        self.sites, self.path, self.timeout_s, self.backoff_s = sites, Path(path), timeout_s, backoff_s
        self.sent = 0
        self._failing: set[str] = set()  # receivers whose failure was logged (once until they answer again)
        self._wake = threading.Event()
        with self._db() as db:
            db.execute("CREATE TABLE IF NOT EXISTS deliveries (msg_id TEXT, url TEXT, body TEXT NOT NULL, "
                       "attempts INTEGER NOT NULL DEFAULT 0, due REAL NOT NULL, PRIMARY KEY (msg_id, url))")
            db.execute("UPDATE deliveries SET due = ?", (time.time(),))  # a restart tries what waits at once
        self._thread = threading.Thread(target=self._loop, name="alert-webhooks", daemon=True)
        self._thread.start()

    def _db(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        return db

    def url_for(self, m: AlertMessage) -> str | None:
        hooks = getattr(self.sites.get(m.site), "alert_webhooks", None)
        return None if hooks is None else getattr(hooks, m.list, None)

    def submit(self, m: AlertMessage) -> bool:
        """Queue the alert durably (a redelivered alert once); False where its site has no webhook for its list."""
        url = self.url_for(m)
        if url is None:
            return False
        db = self._db()
        try:
            db.execute("INSERT OR IGNORE INTO deliveries (msg_id, url, body, due) VALUES (?, ?, ?, ?)",
                       (m.msg_id, url, json.dumps(payload(m)), time.time()))
        finally:
            db.close()
        self._wake.set()
        return True

    def pending(self) -> int:
        db = self._db()
        try:
            return db.execute("SELECT count(*) FROM deliveries").fetchone()[0]
        finally:
            db.close()

    def _post(self, url: str, body: str) -> str | None:
        """None when the receiver took it, else why not."""
        req = urllib.request.Request(url, body.encode(), {"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout_s) as r:
                return None if 200 <= r.status < 300 else f"HTTP {r.status}"
        except OSError as e:  # refused, timed out, HTTP 4xx/5xx (HTTPError)
            return str(e)

    def _loop(self) -> None:
        db = self._db()
        while True:
            row = db.execute("SELECT msg_id, url, body, attempts, due FROM deliveries ORDER BY due LIMIT 1").fetchone()
            if row is None or row[4] > time.time():
                self._wake.wait(None if row is None else max(0.0, row[4] - time.time()))
                self._wake.clear()
                continue
            msg_id, url, body, attempts, _ = row
            problem = self._post(url, body)
            receiver = url.split("?")[0]
            if problem is None:
                db.execute("DELETE FROM deliveries WHERE msg_id = ? AND url = ?", (msg_id, url))
                self.sent += 1
                self._failing.discard(receiver)
                continue
            if receiver not in self._failing:
                self._failing.add(receiver)
                log.warning("alert webhook %s: %s; alerts wait and are retried", receiver, problem)
            delay = min(self.backoff_s * 2 ** attempts, MAX_BACKOFF_S)
            db.execute("UPDATE deliveries SET attempts = attempts + 1, due = ? WHERE msg_id = ? AND url = ?",
                       (time.time() + delay, msg_id, url))

    def drain(self, timeout_s: float) -> bool:
        """True once every queued alert was delivered (within timeout_s)."""
        end = time.monotonic() + timeout_s
        while self.pending() and time.monotonic() < end:
            time.sleep(0.02)
        return not self.pending()
