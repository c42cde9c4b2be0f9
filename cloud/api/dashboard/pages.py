"""Dashboard pages. Each view declares its scope like an API route (access.scoped: a manager's page for another
store is a 403 before anything is read); the page is a shell naming the API calls its script makes (data-*
attributes), so the browser reads exactly what the API would give the same login."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, send_from_directory, url_for

from ..access import may_see_store, scoped

bp = Blueprint("dashboard", __name__, template_folder="templates")
STATIC = Path(__file__).parent / "static"
INTERVALS = ("15m", "hour", "day", "week", "month")
RECOGNITION_REFRESH_S = 15  # the live views of recognition alerts reload themselves this often


def reader():
    return current_app.extensions["footfall.reader"]


@bp.route("/dashboard/static/<path:filename>")
@scoped("public")  # CSS, the script and the vendored chart library: no figures
def static(filename):
    return send_from_directory(STATIC, filename, max_age=3600)


@bp.route("/favicon.ico")
@scoped("public")  # browsers ask for it on every page, the login's too
def favicon():
    return send_from_directory(STATIC, "favicon.svg", mimetype="image/svg+xml", max_age=86400)


# --- what the caller may see -----------------------------------------------------------------------------------------

def visible_stores() -> list[dict]:
    p = g.principal
    if p.role == "installer":
        return []
    return [{"id": ref.id, "site": ref.site.id} for ref in reader().dir.stores.values() if may_see_store(p, ref.id)]


def visible_sites() -> list[dict]:
    """Sites whose site-wide pages the caller may open (admin, analyst)."""
    if g.principal.role not in ("admin", "analyst"):
        return []
    return [{"id": s.id, "name": s.name or s.id} for s in reader().cfg.sites]


@bp.app_context_processor
def stylesheet():
    """The dashboard's stylesheet for the login page too (login.py links it when it is given)."""
    return {"dashboard_css": url_for("dashboard.static", filename="dashboard.css")}


@bp.app_context_processor
def navigation():
    p = g.get("principal")
    if p is None or request.blueprint != "dashboard":
        return {}
    return {"principal": p, "nav_sites": visible_sites(), "nav_stores": visible_stores(),
            "nav_fleet": p.role in ("admin", "analyst", "installer")}


# --- the date range and interval pickers -----------------------------------------------------------------------------

def _date(name: str, default: date) -> date:
    raw = request.args.get(name) or ""
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        abort(400, description=f"{name}: {raw!r} is not a date (YYYY-MM-DD)")


def picked(timezone: str, default_days: int = 1) -> dict:
    """from/to (local dates, inclusive; default: today in the site's zone) and the interval (auto: by the range)."""
    today = datetime.now(ZoneInfo(timezone)).date()
    start = _date("from", today - timedelta(days=default_days - 1))
    end = _date("to", max(today, start) if "from" in request.args and "to" not in request.args else today)
    if end < start:
        abort(400, description=f"to: {end} is before from ({start})")
    interval = request.args.get("interval") or ""
    if interval and interval not in INTERVALS:
        abort(400, description=f"interval: {interval!r} is not one of {', '.join(INTERVALS)}")
    days = (end - start).days + 1
    auto = "hour" if days <= 2 else "day" if days <= 62 else "week" if days <= 200 else "month"
    r = {"from": start.isoformat(), "to": end.isoformat(), "interval": interval or auto, "interval_picked": interval,
         "prev_day": (end - timedelta(days=1)).isoformat(), "week_ago": (end - timedelta(days=7)).isoformat(),
         "today": today.isoformat()}
    # the API's query strings (plain strings: the templates escape them into attributes)
    r["q_range"] = f"from={r['from']}&to={r['to']}"
    r["q"] = f"{r['q_range']}&interval={r['interval']}"
    return r


def range_args(r: dict) -> dict:
    """The picked range as query arguments for links to other pages (the interval only when chosen)."""
    args = {"from": r["from"], "to": r["to"]}
    if r["interval_picked"]:
        args["interval"] = r["interval_picked"]
    return args


# --- pages -----------------------------------------------------------------------------------------------------------

@bp.route("/")
@scoped("org")
def index():
    """Where a login lands: an installer on the fleet, a manager on its first store, others on the first site."""
    r = {k: request.args[k] for k in ("from", "to", "interval") if request.args.get(k)}
    if g.principal.role == "installer":
        return redirect(url_for("dashboard.fleet", **r))
    if g.principal.role in ("security", "crm") and reader().cfg.sites:  # their one page: the first site's live view
        page = "dashboard.watchlist_live" if g.principal.role == "security" else "dashboard.vip_live"
        return redirect(url_for(page, site_id=reader().cfg.sites[0].id, **r))
    sites, stores = visible_sites(), visible_stores()
    if sites:
        return redirect(url_for("dashboard.site", site_id=sites[0]["id"], **r))
    if stores:
        return redirect(url_for("dashboard.store", store_id=stores[0]["id"], **r))
    abort(403, description="this login may see no site or store")


@bp.route("/go")
@scoped("org")  # only redirects; the page it leads to checks its own scope
def go():
    """The pickers' form: the chosen store (or site) with the chosen range."""
    r = {k: request.args.get(k) for k in ("from", "to", "interval") if request.args.get(k)}
    page = request.args.get("page", "store")
    if page == "store" or request.args.get("store"):
        store_id = request.args.get("store") or abort(400, description="store: choose a store")
        return redirect(url_for("dashboard.store", store_id=store_id, **r))
    site_id = request.args.get("site") or abort(400, description="site: choose a site")
    if page not in ("site", "flows", "displays"):
        abort(400, description=f"page: {page!r} is not one of site, flows, displays")
    return redirect(url_for(f"dashboard.{page}", site_id=site_id, **r))


def _site_or_404(site_id: str):
    site = reader().dir.sites.get(site_id)
    if site is None:
        abort(404, description=f"site {site_id!r} is not configured")
    return site


@bp.route("/sites/<site_id>")
@scoped("site")
def site(site_id):
    s = _site_or_404(site_id)
    r = picked(s.timezone)
    return render_template("dashboard/site.html", page="site", site=s, r=r, args=range_args(r),
                           stores=[st.id for st in s.stores])


@bp.route("/sites/<site_id>/flows")
@scoped("site")
def flows(site_id):
    s = _site_or_404(site_id)
    r = picked(s.timezone)
    return render_template("dashboard/flows.html", page="flows", site=s, r=r, args=range_args(r))


@bp.route("/sites/<site_id>/displays")
@scoped("site")
def displays(site_id):
    s = _site_or_404(site_id)
    r = picked(s.timezone)
    return render_template("dashboard/displays.html", page="displays", site=s, r=r, args=range_args(r))


@bp.route("/stores/<store_id>")
@scoped("store")
def store(store_id):
    ref = reader().dir.stores.get(store_id)
    if ref is None:
        abort(404, description=f"store {store_id!r} is not configured")
    r = picked(ref.site.timezone)
    floor = floor_picked(r) if ref.store.floor is not None else None
    return render_template("dashboard/store.html", page="store", store=ref, site=ref.site, r=r, args=range_args(r),
                           floor=floor)


def floor_picked(r: dict) -> dict:
    """The heatmap's pickers: hours of the day, and the "before" range (default: as many days right before)."""
    from footfall.cloud.query.floor import parse_hours
    from footfall.cloud.query.intervals import RangeError

    hours = request.args.get("hours") or ""
    try:
        parse_hours(hours)
    except RangeError as e:
        abort(400, description=str(e))
    start, end = date.fromisoformat(r["from"]), date.fromisoformat(r["to"])
    days = (end - start).days + 1
    b_from = _date("before_from", start - timedelta(days=days))
    b_to = _date("before_to", b_from + timedelta(days=days - 1))
    if b_to < b_from:
        abort(400, description=f"before_to: {b_to} is before before_from ({b_from})")
    q_hours = f"&hours={hours}" if hours else ""
    return {"hours": hours, "before_from": b_from.isoformat(), "before_to": b_to.isoformat(),
            "q_after": f"{r['q_range']}{q_hours}", "q_before": f"from={b_from}&to={b_to}{q_hours}"}


@bp.route("/stores/<store_id>/plan")
@scoped("store")
def floor_plan(store_id):
    """The store's plan drawing the heatmap lies over (cloud.yaml stores[].floor.image; relative: to state_dir)."""
    ref = reader().dir.stores.get(store_id)
    if ref is None or ref.store.floor is None or ref.store.floor.image is None:
        abort(404, description=f"store {store_id!r} has no floor plan drawing")
    path = ref.store.floor.image
    if not path.is_absolute():
        path = reader().cfg.state_dir / path
    if not path.is_file():
        abort(404, description=f"the plan drawing of {store_id!r} is missing on the server")
    return send_from_directory(path.parent, path.name, max_age=300)


def _recognition_page(site_id: str, list_: str):
    from footfall.cloud.query.recognition import HUMAN_CONFIRMATION

    s = _site_or_404(site_id)
    r = picked(s.timezone)
    title = "Watchlist" if list_ == "watchlist" else "VIP arrivals"
    return render_template("dashboard/recognition.html", page="recognition", site=s, r=r, args=range_args(r),
                           list=list_, title=title, refresh_s=RECOGNITION_REFRESH_S, confirmation=HUMAN_CONFIRMATION)


@bp.route("/sites/<site_id>/recognition/vip")
@scoped("crm")
def vip_live(site_id):
    """The live view of VIP arrivals: the crm role only (the consented CRM link)."""
    return _recognition_page(site_id, "vip")


@bp.route("/sites/<site_id>/recognition/watchlist")
@scoped("security")
def watchlist_live(site_id):
    """The live view of watchlist alerts: the security role only, each shown as needing a person's confirmation."""
    return _recognition_page(site_id, "watchlist")


@bp.route("/fleet")
@scoped("fleet")
def fleet():
    sites = reader().cfg.sites
    r = picked(sites[0].timezone if sites else "UTC", default_days=7)
    return render_template("dashboard/fleet.html", page="fleet", sites=sites, r=r, args=range_args(r))


@bp.errorhandler(400)
@bp.errorhandler(403)
@bp.errorhandler(404)
def error(e):
    return render_template("dashboard/error.html", page="error", code=e.code, message=e.description or e.name), e.code
