"""REST API v1 (/api/v1): every route is declared with `route()`, which registers it on the blueprint, sets its
access scope (access.py) and its query parameters, and records it for the OpenAPI document (openapi.py)."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from flask import Blueprint, Response, current_app, g, jsonify, request

from footfall.cloud.query import Reader, RangeError

from .access import may_see_store, scoped
from .tables import export_rows, table_of, to_csv

bp = Blueprint("api_v1", __name__, url_prefix="/api/v1")
RANGE = ("from", "to")
SERIES = ("from", "to", "interval")


@dataclass
class Spec:
    path: str  # Flask rule below /api/v1
    method: str
    scope: str
    summary: str
    params: tuple[str, ...] = ()
    body: str | None = None  # request body: "transactions"
    csv: bool = True
    answer: str | None = None  # a schema of openapi.py's components ("Series"), else a plain object


SPECS: list[Spec] = []


def route(path: str, scope: str, summary: str, params: tuple[str, ...] = (), method: str = "GET", body=None, csv=True,
          answer=None):
    spec = Spec(path, method, scope, summary, params, body, csv, answer)
    SPECS.append(spec)

    def deco(view):
        allowed = set(params) | ({"format"} if csv and method == "GET" else set())

        def checked(*args, **kwargs):
            for name in request.args:
                if name not in allowed:
                    raise RangeError(name, f"unknown parameter (this endpoint takes: {', '.join(sorted(allowed)) or 'none'})")
            fmt = request.args.get("format", "json")
            if fmt not in ("json", "csv"):
                raise RangeError("format", f"{fmt!r}: json or csv")
            data = view(*args, **kwargs)
            if isinstance(data, Response):
                return data
            if fmt == "csv":
                name = request.path.strip("/").replace("/", "-")
                return Response(to_csv(table_of(data)), mimetype="text/csv",
                                headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
            return jsonify(data)

        checked.__name__ = view.__name__
        bp.add_url_rule(path, view_func=scoped(scope)(checked), methods=[method])
        return view

    return deco


def reader() -> Reader:
    return current_app.extensions["footfall.reader"]


def arg(name: str) -> str | None:
    return request.args.get(name) or None


def site_range(site_id: str, days: int = 1):
    return reader().site_range(site_id, arg("from"), arg("to"), default_days=days)


def store_range(store_id: str, days: int = 1):
    return reader().store_range(store_id, arg("from"), arg("to"), default_days=days)


def _site_view(site, p) -> dict | None:
    stores = [s.id for s in site.stores if may_see_store(p, s.id)]
    if p.role == "manager" and not stores:
        return None
    return {"id": site.id, "name": site.name or site.id, "timezone": site.timezone, "linkability": site.linkability,
            "stores": [{"id": s.id, "zones": s.zones} for s in site.stores if s.id in stores],
            "entrances": list(site.entrances) if p.role != "manager" else []}


# --- organisation -------------------------------------------------------------------------------------------------

@route("/me", "org", "Who the caller is: name, role and the stores a manager may see", csv=False)
def me():
    p = g.principal
    return {"name": p.name, "role": p.role, "stores": list(p.stores), "kind": p.kind}


@route("/sites", "org", "Sites with the stores the caller may see")
def sites():
    return {"sites": [v for s in reader().cfg.sites if (v := _site_view(s, g.principal))]}


@route("/sites/<site_id>", "org", "One site with the stores the caller may see", csv=False)
def site(site_id):
    view = _site_view(reader().dir.site(site_id), g.principal)
    if view is None:
        from flask import abort

        abort(403, description=f"no store of site {site_id!r} is on this {g.principal.kind}")
    return view


@route("/stores", "org", "Stores the caller may see")
def stores():
    return {"stores": [{"id": ref.id, "site": ref.site.id, "zones": ref.store.zones}
                       for ref in reader().dir.stores.values() if may_see_store(g.principal, ref.id)]}


# --- site-wide figures (admin, analyst) -----------------------------------------------------------------------------

@route("/sites/<site_id>/footfall", "site", "In/out at the site's entrances per interval, in total and per line", SERIES, answer="Series")
def site_footfall(site_id):
    return reader().site_footfall(site_id, site_range(site_id), arg("interval") or "hour")


@route("/sites/<site_id>/occupancy", "site", "People inside now: in minus out at the entrances since the local day began", csv=False)
def site_occupancy(site_id):
    return reader().site_occupancy(site_id)


@route("/sites/<site_id>/visitors", "site", "Unique and returning visitors of the site (what the linkability allows)", SERIES, answer="Series")
def site_visitors(site_id):
    return reader().site_visitors(site_id, site_range(site_id), arg("interval") or "day")


@route("/sites/<site_id>/flows", "site", "Store-to-store flow matrix (moves between places)", RANGE)
def flows(site_id):
    return reader().flows(site_id, site_range(site_id))


@route("/sites/<site_id>/displays", "site", "Display attention: passers, viewers, attention rate, mean look", SERIES)
def displays(site_id):
    return reader().displays(site_id, site_range(site_id), arg("interval") or "hour")


@route("/sites/<site_id>/reactions", "site", "Opt-in display reactions: shares of delighted / neutral / disinterested "
       "looks and mean attention time per display", SERIES)
def reactions(site_id):
    return reader().display_reactions(site_id, site_range(site_id), arg("interval") or "hour")


# --- fleet (admin, analyst, installer) ------------------------------------------------------------------------------

@route("/sites/<site_id>/devices", "fleet", "Devices of the site that sent counts or health")
def devices(site_id):
    reader().dir.site(site_id)
    return {"site": site_id, "devices": [{"device": d} for d in reader().dir.devices(site_id)]}


@route("/sites/<site_id>/fleet", "fleet", "Each device: last seen, online/offline, fps, stage times, outbox, camera, models, version")
def site_fleet(site_id):
    return reader().fleet(site_id)


@route("/sites/<site_id>/alerts", "fleet", "Alerts (device offline, camera not ok, data gap, clock not synced, report not sent) with start and end", RANGE)
def alerts(site_id):
    return reader().alerts(site_id, site_range(site_id, days=7))


@route("/sites/<site_id>/gaps", "fleet", "Data gaps: stretches a device sent no counts", RANGE)
def gaps(site_id):
    return reader().gaps(site_id, site_range(site_id, days=7))


# --- consented recognition (docs/privacy.md): each list its own role ------------------------------------------------

@route("/sites/<site_id>/recognition/vip", "crm", "VIP / loyalty alerts: opaque ref, device, time, score", RANGE)
def vip_alerts(site_id):
    return reader().vip_alerts(site_id, site_range(site_id, days=1))


@route("/sites/<site_id>/recognition/members/<ref>", "crm", "A consenting member's visits: when, stores, dwell", RANGE, csv=False)
def member(site_id, ref):
    return reader().member(site_id, ref, site_range(site_id, days=90))


@route("/sites/<site_id>/recognition/watchlist", "security", "Watchlist alerts (no ref; each needs a person's confirmation)", RANGE)
def watchlist_alerts(site_id):
    return reader().watchlist_alerts(site_id, site_range(site_id, days=1))


@route("/sites/<site_id>/recognition/staff", "site", "Staff hours per interval and visitors in per staff hour (never who)", SERIES)
def staff_presence(site_id):
    return reader().staff_presence(site_id, site_range(site_id), arg("interval") or "hour")


@route("/fleet", "fleet", "Every device of every site")
def fleet_all():
    return {"devices": [d for s in reader().cfg.sites for d in reader().fleet(s.id)["devices"]]}


# --- one store (admin, analyst, the store's manager) ----------------------------------------------------------------

@route("/stores/<store_id>", "store", "One store", csv=False)
def store(store_id):
    ref = reader().dir.store(store_id)
    return {"id": ref.id, "site": ref.site.id, "timezone": ref.site.timezone, "zones": ref.store.zones,
            "devices": reader().dir.store_devices(store_id)}


@route("/stores/<store_id>/footfall", "store", "In/out through the store's doors per interval, in total and per line", SERIES, answer="Series")
def store_footfall(store_id):
    return reader().store_footfall(store_id, store_range(store_id), arg("interval") or "hour")


@route("/stores/<store_id>/staff", "store", "The store's staff hours per interval, visitors in through its doors per staff "
       "hour, and the waits in its zones until staff were there (never who)", SERIES)
def store_staff_presence(store_id):
    return reader().store_staff_presence(store_id, store_range(store_id), arg("interval") or "hour")


@route("/stores/<store_id>/occupancy", "store", "People in the store now, and in its cameras' view", csv=False)
def store_occupancy(store_id):
    return reader().store_occupancy(store_id)


@route("/stores/<store_id>/visitors", "store", "Unique and returning visitors of the store", SERIES, answer="Series")
def store_visitors(store_id):
    return reader().store_visitors(store_id, store_range(store_id), arg("interval") or "day")


@route("/stores/<store_id>/dwell", "store", "Mean time in the store per interval", SERIES, answer="Series")
def dwell(store_id):
    return reader().dwell(store_id, store_range(store_id), arg("interval") or "hour")


@route("/stores/<store_id>/audience", "store", "Opt-in audience mix: people per age band and gender per interval "
       "(bands of fewer than 5 are \"<5\"; the total also merges neighbouring age bands)", SERIES)
def audience(store_id):
    return reader().store_audience(store_id, store_range(store_id), arg("interval") or "hour")


@route("/stores/<store_id>/entry-exit", "store", "Entry and exit times: by hour of day, and each day's first entry and last exit", RANGE)
def entry_exit(store_id):
    return reader().entry_exit_times(store_id, store_range(store_id, days=7))


@route("/stores/<store_id>/floor", "store", "Floor heatmap: person-seconds and distinct people per cell of the store's "
       "plan over the range, optionally only in some hours of the day; cells of fewer than 5 people are \"<5\"",
       (*RANGE, "hours"), answer="FloorGrid")
def floor(store_id):
    return reader().floor(store_id, store_range(store_id, days=7), arg("hours"))


@route("/stores/<store_id>/conversion", "store", "Transactions, revenue, visitors and conversion per interval", SERIES, answer="Series")
def conversion(store_id):
    return reader().conversion(store_id, store_range(store_id), arg("interval") or "hour")


@route("/stores/<store_id>/transactions", "store-write", "Upload POS transactions and revenue per period (JSON or CSV; "
       "a re-upload of the same periods rewrites them)", method="POST", body="transactions", csv=False)
def upload(store_id):
    return reader().upload_transactions(store_id, request.get_data(), request.content_type or "")


@route("/stores/<store_id>/export.csv", "store", "CRM/POS export: footfall, visitors, dwell, transactions, revenue, "
       "conversion per interval as CSV", SERIES, csv=False)
def export(store_id):
    r, iv = store_range(store_id), arg("interval") or "day"
    rd = reader()
    with ThreadPoolExecutor(4) as pool:  # four independent reads: the database answers them side by side
        parts = [pool.submit(f, store_id, r, iv) for f in (rd.store_footfall, rd.store_visitors, rd.dwell, rd.conversion)]
        rows = export_rows(*(p.result() for p in parts))
    return Response(to_csv(rows), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{store_id}-{iv}.csv"'})


@route("/openapi.json", "public", "This document", csv=False)
def openapi():
    from .openapi import document

    return document(SPECS)
