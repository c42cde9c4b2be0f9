"""The Flask app: REST API (api_v1), web login, and the dashboard blueprint when present (footfall.cloud.api.dashboard
exposing `bp`). Served by waitress (`footfall-cloud api`)."""
from __future__ import annotations

import importlib
import importlib.util
import secrets
from datetime import timedelta
from pathlib import Path

from flask import Flask, g, jsonify, request, session
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException

from footfall.cloud.config import CloudConfig
from footfall.cloud.query import RangeError, Reader, UnknownError, UploadError
from footfall.cloud.store.influx import InfluxError

from .tokens import TokenStore

UNSCOPED = {"static", "login.login", "login.logout"}  # the only views anyone may reach without a scope check
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; "
       "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'")


def check_scopes(app: Flask) -> None:
    """Every view but the login's declares its access scope, or the app does not start."""
    missing = [e for e, f in app.view_functions.items() if e not in UNSCOPED and not getattr(f, "scope", None)]
    if missing:
        raise RuntimeError(f"views without an access scope (access.scoped): {', '.join(sorted(missing))}")


def session_key(cfg: CloudConfig) -> bytes:
    if cfg.api.secret_key is not None:
        return cfg.api.secret_key.read()
    path = Path(cfg.state_dir) / "api-session-key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(0o600)
        path.write_bytes(secrets.token_bytes(32))
    return path.read_bytes()


def create_app(cfg: CloudConfig, *, reader: Reader | None = None, tokens: TokenStore | None = None,
               status_of=None) -> Flask:
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=session_key(cfg),
        SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_SECURE=cfg.api.secure_cookies,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        WTF_CSRF_CHECK_DEFAULT=False,  # checked below, for cookie-authenticated requests only
        WTF_CSRF_TIME_LIMIT=None,  # valid as long as the session
        JSON_SORT_KEYS=False, MAX_CONTENT_LENGTH=8 * 1024 * 1024,
    )
    app.json.sort_keys = False
    if cfg.api.proxy_hops:  # the client's address, not the proxy's, for the login limit and the logs
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = cfg.api.proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    if reader is None:
        from footfall.cloud.ingest.service import influx_from

        reader = Reader(cfg, influx_from(cfg), status_of)
    app.extensions["footfall.reader"] = reader
    app.extensions["footfall.tokens"] = tokens or TokenStore(Path(cfg.state_dir) / "api.sqlite")
    csrf = CSRFProtect(app)
    limiter = Limiter(get_remote_address, app=app, storage_uri="memory://", strategy="fixed-window")

    from . import api_v1, login

    limited = limiter.limit(cfg.api.login_limit, methods=["POST"], deduct_when=lambda r: r.status_code == 401,
                            error_message="too many failed logins: wait a minute")(login.login)
    app.add_url_rule("/login", "login.login", limited, methods=["GET", "POST"])
    app.register_blueprint(api_v1.bp)
    app.register_blueprint(login.bp)
    if importlib.util.find_spec(f"{__package__}.dashboard"):
        app.register_blueprint(importlib.import_module(f"{__package__}.dashboard").bp)
    else:
        app.add_url_rule("/", "index", _index)

    check_scopes(app)

    @app.before_request
    def authenticate():
        g.principal, g.via = None, None
        store = app.extensions["footfall.tokens"]
        auth = request.headers.get("Authorization", "")
        if auth:
            scheme, _, token = auth.partition(" ")
            p = store.by_token(token.strip()) if scheme.lower() == "bearer" else None
            if p is None:
                return jsonify(error="invalid or revoked token"), 401
            g.principal, g.via = p, "token"
            return None
        name = session.get("name")
        if name:
            p = store.by_name(name)
            if p is None or p.kind != "login":  # revoked since: the session ends here
                session.clear()
            else:
                g.principal, g.via = p, "session"
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            csrf.protect()  # a cookie rides along with any cross-site form; a bearer token does not
        return None

    @app.after_request
    def headers(resp):
        h = resp.headers
        h.setdefault("Content-Security-Policy", CSP)
        h["X-Content-Type-Options"] = "nosniff"
        h["X-Frame-Options"] = "DENY"
        h["Referrer-Policy"] = "same-origin"
        h["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        h["Cross-Origin-Opener-Policy"] = "same-origin"
        if cfg.api.secure_cookies:
            h["Strict-Transport-Security"] = "max-age=31536000"
        if request.path.startswith("/api/"):
            h["Cache-Control"] = "no-store"
        return resp

    @app.errorhandler(RangeError)
    @app.errorhandler(UploadError)
    def bad_request(e):
        return jsonify(error=str(e), field=e.field), 400

    @app.errorhandler(UnknownError)
    def unknown(e):
        return jsonify(error=str(e), field=e.field), 404

    @app.errorhandler(InfluxError)
    def database(e):
        app.logger.warning("database: %s", e)
        return jsonify(error="the database did not answer; try again shortly"), 503

    @app.errorhandler(CSRFError)
    def csrf_error(e):
        return jsonify(error=f"CSRF: {e.description}", field="X-CSRFToken"), 400

    @app.errorhandler(HTTPException)
    def http_error(e):
        if request.path.startswith("/api/") or e.code == 429:
            return jsonify(error=e.description or e.name), e.code
        if e.code == 401:
            from flask import redirect, url_for
            return redirect(url_for("login.login", next=request.full_path.rstrip("?")))
        return e

    return app


def _index():
    """Where a login lands while no dashboard is installed."""
    from flask import redirect, url_for

    if g.get("principal") is None:
        return redirect(url_for("login.login", next="/"))
    return redirect("/api/v1/me")


_index.scope = "org"  # checks for itself: anyone signed in


def serve(cfg: CloudConfig) -> None:
    """Production: waitress (threads; the status watcher and the rate limiter live in this one process)."""
    import logging

    from waitress import serve as waitress_serve

    from footfall.cloud.query.status import StatusWatcher

    watcher = None
    if cfg.api.status_watch:
        watcher = StatusWatcher(cfg.mqtt, f"{cfg.mqtt.client_id}-api").start()
    app = create_app(cfg, status_of=watcher.get if watcher else None)
    logging.getLogger(__name__).info("footfall api on http://%s:%d", cfg.api.host, cfg.api.port)
    try:
        waitress_serve(app, host=cfg.api.host, port=cfg.api.port, threads=cfg.api.threads, ident="footfall")
    finally:
        if watcher:
            watcher.close()
