"""Forwards recognition alerts to the site's webhooks (JSON POST), off the ingest thread, with retries.

The VIP payload carries the opaque ref (the member consented to the CRM link); the watchlist payload carries its ref
only to the security webhook (InfluxDB keeps none) and says that a person must confirm the match first.
"""
from __future__ import annotations

import json
import logging
import queue
import threading
import time
import urllib.request

from footfall.cloud.query.recognition import HUMAN_CONFIRMATION
from footfall.protocol import AlertMessage

log = logging.getLogger(__name__)
RETRIES = 5
BACKOFF_S = 1.0


def payload(m: AlertMessage) -> dict:
    body = {"list": m.list, "ref": m.entry, "site": m.site, "device": m.device, "seen_at": m.seen_at.isoformat(),
            "score": m.score, "msg_id": m.msg_id}
    if m.list == "watchlist":
        body |= {"human_confirmation_required": True, "confirmation": HUMAN_CONFIRMATION}
    return body


class Forwarder:
    def __init__(self, sites: dict, timeout_s: float = 5.0):
        """`sites`: site id -> cloud.config.Site (its `alert_webhooks`)."""
        self.sites, self.timeout_s = sites, timeout_s
        self._q: queue.Queue = queue.Queue(maxsize=10_000)
        self.sent = self.failed = 0
        self._thread = threading.Thread(target=self._loop, name="alert-webhooks", daemon=True)
        self._thread.start()

    def url_for(self, m: AlertMessage) -> str | None:
        hooks = getattr(self.sites.get(m.site), "alert_webhooks", None)
        return None if hooks is None else getattr(hooks, m.list, None)

    def submit(self, m: AlertMessage) -> bool:
        url = self.url_for(m)
        if url is None:
            return False
        try:
            self._q.put_nowait((url, payload(m)))
        except queue.Full:
            self.failed += 1
            log.warning("alert webhook queue full: alert %s dropped", m.msg_id)
            return False
        return True

    def _loop(self) -> None:
        while True:
            url, body = self._q.get()
            for attempt in range(RETRIES):
                try:
                    req = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
                    with urllib.request.urlopen(req, timeout=self.timeout_s) as r:
                        if 200 <= r.status < 300:
                            self.sent += 1
                            break
                except OSError as e:
                    if attempt == RETRIES - 1:
                        log.warning("alert webhook %s failed after %d tries: %s", url.split("?")[0], RETRIES, e)
                time.sleep(BACKOFF_S * 2 ** attempt)
            else:
                self.failed += 1
            self._q.task_done()

    def drain(self, timeout_s: float) -> bool:
        end = time.monotonic() + timeout_s
        while self._q.unfinished_tasks and time.monotonic() < end:
            time.sleep(0.02)
        return not self._q.unfinished_tasks
