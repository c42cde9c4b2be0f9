"""The commissioning page, served by the unit itself with the standard library (an edge install carries no web
framework): a live preview (each JPEG long-polled, in memory only), the counts and face sizes, the line drawn or nudged in the browser, the YAML for
host_vars. Bound to 127.0.0.1 by default: the installer reaches it through an SSH tunnel."""
from __future__ import annotations

import json
import logging
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit
from pydantic import ValidationError

from .live import LiveView
from .page import PAGE

log = logging.getLogger(__name__)


def _problem(e: Exception) -> str:
    if isinstance(e, ValidationError):
        return "; ".join(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in e.errors())
    return str(e)


class Handler(BaseHTTPRequestHandler):
    server: "CommissionServer"

    def log_message(self, fmt, *args) -> None:  # the installer's requests are no news for the journal
        log.debug(fmt, *args)

    def _send(self, status: int, body: bytes, ctype: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def _json(self, obj, status: int = 200) -> None:
        self._send(status, json.dumps(obj).encode(), "application/json")

    def _local(self) -> bool:
        """Asked for by its loopback name: a page elsewhere cannot reach the unit through the installer's browser by
        pointing its own host name at 127.0.0.1 (DNS rebinding), for frames or for changes."""
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0]
        if host in ("127.0.0.1", "localhost", "[::1]"):
            return True
        self._send(HTTPStatus.FORBIDDEN, b"local requests only", "text/plain")
        return False

    def do_GET(self) -> None:
        view = self.server.view
        if not self._local():
            return
        if self.path == "/":
            self._send(200, PAGE.encode(), "text/html; charset=utf-8")
        elif self.path == "/state":
            self._json(view.status() | {"remaining_s": round(self.server.remaining(), 1)})
        elif self.path.startswith("/frame.jpg"):
            after = parse_qs(urlsplit(self.path).query).get("after", ["-1"])[0]
            self._frame(view, int(after) if after.lstrip("-").isdigit() else -1)
        else:
            self._send(404, b"not found", "text/plain")

    def _frame(self, view: LiveView, after: int) -> None:
        """The newest preview once it is newer than `after` (long poll, up to 2 s; 204 if none came)."""
        with view.new_preview:
            if view.preview_seq <= after and not self.server.stopping.is_set():
                view.new_preview.wait(2.0)
            jpeg, seq = view.preview, view.preview_seq
        if jpeg is None or seq <= after:
            return self._send(HTTPStatus.NO_CONTENT, b"", "image/jpeg")
        self.send_response(200)
        self.send_header("Content-Type", "image/jpeg")
        self.send_header("Content-Length", str(len(jpeg)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Seq", str(seq))
        self.end_headers()
        self.wfile.write(jpeg)

    def do_POST(self) -> None:
        if not self._local():
            return
        if self.headers.get("Content-Type") != "application/json":  # no cross-site form can send this (CSRF)
            return self._send(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, b"JSON only", "text/plain")
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
            if self.path == "/lines":
                self.server.view.set_lines(body["lines"])
                return self._json({"ok": True, "snippet": self.server.view.snippet()})
            if self.path == "/reference":
                ref = self.server.view.store_reference()
                return self._json({"ok": True, "signature": ref.signature})
            if self.path == "/stop":
                self._json({"ok": True})
                return self.server.stopping.set()
            return self._send(404, b"not found", "text/plain")
        except (KeyError, ValueError, TypeError) as e:
            return self._json({"ok": False, "error": _problem(e)}, 400)


class CommissionServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, view: LiveView, host: str, port: int, timeout_s: float):
        super().__init__((host, port), Handler)
        import time

        self.view = view
        self.stopping = threading.Event()
        self.deadline = time.monotonic() + timeout_s
        self._clock = time.monotonic

    def remaining(self) -> float:
        return max(0.0, self.deadline - self._clock())

    def serve_until_done(self) -> str:
        """Serve until the timeout, a stop from the page, or the caller's stop; returns why it ended."""
        t = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
        t.start()
        why = "stopped from the page" if self.stopping.wait(self.remaining()) else "timed out"
        self.stopping.set()
        self.view.stop.set()
        self.shutdown()
        self.server_close()
        return why
