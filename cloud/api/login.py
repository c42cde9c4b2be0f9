"""Web login: name and password (made by `footfall-cloud token create --login`), a signed session cookie, CSRF on
every form, failed attempts rate-limited per client address (Flask-Limiter)."""
from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template_string, request, session, url_for

bp = Blueprint("login", __name__)

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Footfall: sign in</title>
{% if dashboard_css %}<link rel="stylesheet" href="{{ dashboard_css }}">{% endif %}</head>
<body><main><h1>Footfall</h1>
{% if error %}<p role="alert">{{ error }}</p>{% endif %}
<form method="post" action="{{ url_for('login.login', next=next) }}">
<input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
<p><label>Name <input name="name" autocomplete="username" required value="{{ name }}"></label></p>
<p><label>Password <input name="password" type="password" autocomplete="current-password" required></label></p>
<p><button type="submit">Sign in</button></p></form></main></body></html>"""


def _safe_next(target: str | None) -> str:
    """Only a path of this site (no //host or scheme): no open redirect."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def login():
    """/login, registered by app.py with the failed-login limit around it."""
    nxt = _safe_next(request.args.get("next"))
    if request.method == "GET":
        return render_template_string(PAGE, error=None, name="", next=nxt)
    name, password = request.form.get("name", ""), request.form.get("password", "")
    p = current_app.extensions["footfall.tokens"].login(name, password)
    if p is None:
        return render_template_string(PAGE, error="Wrong name or password.", name=name, next=nxt), 401
    session.clear()  # a fresh session: no fixation
    session["name"] = p.name
    session.permanent = True
    return redirect(nxt)


@bp.route("/logout", methods=["POST"])
def logout():
    session.clear()
    return redirect(url_for("login.login"))
