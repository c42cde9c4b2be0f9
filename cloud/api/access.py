"""Who may see what. Every API route (and dashboard page) declares a scope with @scoped; a route without one is
refused at start (app.py), so a new route cannot slip past the checks (tests/cloud/api walk the route list).

- admin: everything; analyst: every site and store of the organisation, the fleet, POS uploads;
- manager: only the stores named on its token (their figures and POS uploads), never site-wide or fleet figures;
- installer: the fleet only (devices, health, alerts, data gaps) and the site list to find it.
- security: watchlist alerts only (recognition, docs/privacy.md); crm: VIP alerts and the visit history of consenting
  members, by opaque ref. No other role sees either, admin included: each is a purpose of its own.
"""
from __future__ import annotations

from functools import wraps

from flask import abort, g, request

from .tokens import Principal

SCOPES = ("public", "org", "site", "store", "store-write", "fleet", "security", "crm")
ALLOWED = {
    "org": {"admin", "analyst", "manager", "installer", "security", "crm"},  # lists, filtered to what the caller may see
    "site": {"admin", "analyst"},
    "store": {"admin", "analyst", "manager"},
    "store-write": {"admin", "analyst", "manager"},
    "fleet": {"admin", "analyst", "installer"},
    "security": {"security"},
    "crm": {"crm"},
}


def may_see_store(p: Principal, store_id: str) -> bool:
    return p.role in ("admin", "analyst") or (p.role == "manager" and store_id in p.stores)


def check(p: Principal | None, scope: str, store_id: str | None = None) -> None:
    """Aborts 401 (nobody) or 403 (not theirs). Unknown ids are left to the view (404), and only after this, so a
    manager cannot learn which stores exist."""
    if scope == "public":
        return
    if p is None:
        abort(401)
    if p.role not in ALLOWED[scope]:
        abort(403, description=f"a {p.role} may not see {scope} figures")
    if scope in ("store", "store-write") and not may_see_store(p, store_id or ""):
        abort(403, description=f"store {store_id!r} is not on this {p.kind}")


def scoped(scope: str):
    if scope not in SCOPES:
        raise ValueError(f"scope {scope!r}: one of {SCOPES}")

    def deco(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            check(g.get("principal"), scope, (request.view_args or {}).get("store_id"))
            return view(*args, **kwargs)

        wrapper.scope = scope
        return wrapper

    return deco
