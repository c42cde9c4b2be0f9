"""The dashboard for `make demo`: the app (API + dashboard) served by waitress in a thread, with a demo web login.

    from footfall.cloud.api.dashboard.demo import serve
    serve(cfg, port=8080, day="2026-11-20")       # prints the URL and the login, serves until Ctrl-C

or `start(...)` for a handle to close yourself. The login is an analyst (every store, the fleet); made again with a
fresh password on every start (an old one of the same name is revoked first).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from footfall.cloud.config import CloudConfig



@dataclass
class Dashboard:
    url: str  # the landing page (with the demo's day as the range when given)
    name: str
    password: str
    _server: object = field(repr=False)
    _watcher: object = field(repr=False, default=None)

    def close(self) -> None:
        self._server.close()
        if self._watcher is not None:
            self._watcher.close()


def start(cfg: CloudConfig, *, host: str = "127.0.0.1", port: int = 0, name: str = "demo", role: str = "analyst",
          day: str | None = None, watch_status: bool | None = None) -> Dashboard:
    """Serve the app on host:port (0: a free port) and make the login `name`. Cookies are not `Secure` here: the
    demo is plain http on this machine."""
    from waitress.server import create_server

    from footfall.cloud.api import create_app
    from footfall.cloud.api.tokens import TokenStore
    from footfall.cloud.query.status import StatusWatcher

    cfg = cfg.model_copy(update={"api": cfg.api.model_copy(update={"secure_cookies": False})})
    tokens = TokenStore(Path(cfg.state_dir) / "api.sqlite")
    tokens.revoke(name)
    tokens.delete_revoked(name)
    password = tokens.create(name, role, login=True)
    watcher = None
    if cfg.api.status_watch if watch_status is None else watch_status:
        watcher = StatusWatcher(cfg.mqtt, f"{cfg.mqtt.client_id}-dashboard").start()
    app = create_app(cfg, tokens=tokens, status_of=watcher.get if watcher else None)
    server = create_server(app, host=host, port=port, threads=cfg.api.threads, ident="footfall")
    threading.Thread(target=server.run, name="dashboard", daemon=True).start()
    base = f"http://{host}:{server.effective_port}"
    landing = f"{base}/?from={day}&to={day}" if day else f"{base}/"
    return Dashboard(landing, name, password, server, watcher)


def serve(cfg: CloudConfig, port: int = 8080, *, day: str | None = None, host: str = "127.0.0.1") -> None:
    """Start, print the URL and the login, serve until Ctrl-C."""
    d = start(cfg, host=host, port=port, day=day)
    print(f"dashboard: {d.url}\nlogin:     {d.name} / {d.password}\n(Ctrl-C stops it)", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        d.close()
