"""Dashboard pages without a database or a browser: scope on every page (a manager's page for another store is a
403), where each role lands, the pickers' checks (400 naming the field) and the page shells' API calls. The pages
read no figures themselves (their script asks the API), so the Reader points at a closed port: a page that queried
the database would fail loudly."""
from __future__ import annotations

import pytest

from footfall.cloud.api import create_app
from footfall.cloud.api.tokens import TokenStore
from footfall.cloud.config import CloudConfig
from footfall.cloud.query import Reader
from footfall.cloud.store.influx import InfluxV1

SITES = [{"id": "mall", "timezone": "Europe/Berlin", "stores": [{"id": "store-a", "zones": ["a-floor"]},
                                                                  {"id": "store-b", "zones": ["b-floor"]}]},
         {"id": "park", "timezone": "Europe/London", "stores": [{"id": "store-c", "zones": ["c-floor"]}]}]


@pytest.fixture
def app(tmp_path):
    cfg = CloudConfig.model_validate({"sites": SITES, "state_dir": str(tmp_path)})
    tokens = TokenStore(tmp_path / "api.sqlite")
    app = create_app(cfg, reader=Reader(cfg, InfluxV1("http://127.0.0.1:9", "none", timeout_s=0.5)), tokens=tokens)
    app.config["keys"] = {role: tokens.create(role, role, ["store-a"] if role == "manager" else [])
                          for role in ("admin", "analyst", "manager", "installer")}
    return app


def get(app, path, role):
    return app.test_client().get(path, headers={"Authorization": f"Bearer {app.config['keys'][role]}"})


def pages(app):
    """Every dashboard page (rule, scope), by the app's route map: a new page is walked without naming it here."""
    return [(r.rule, app.view_functions[r.endpoint].scope) for r in app.url_map.iter_rules()
            if r.endpoint.startswith("dashboard.") and app.view_functions[r.endpoint].scope != "public"
            and r.endpoint not in ("dashboard.go",)]


def fill(rule, store, site):
    return rule.replace("<store_id>", store).replace("<site_id>", site)


def test_manager_gets_403_for_every_page_but_its_own_store(app):
    walked = 0
    for rule, scope in pages(app):
        for store, site in (("store-b", "mall"), ("store-c", "park")):
            r = get(app, fill(rule, store, site), "manager")
            walked += 1
            if rule == "/":
                assert r.status_code == 302 and r.headers["Location"].endswith("/stores/store-a")
            else:
                assert r.status_code == 403, (rule, store, r.status_code)
                assert store not in r.get_data(as_text=True) or "<store_id>" in rule
    assert walked >= 2 * 6
    own = get(app, "/stores/store-a", "manager")
    assert own.status_code == 200 and 'data-api="/api/v1/stores/store-a/occupancy"' in own.get_data(as_text=True)


def test_installer_sees_the_fleet_page_only(app):
    for rule, scope in pages(app):
        r = get(app, fill(rule, "store-a", "mall"), "installer")
        expected = {"/": 302, "/fleet": 200}.get(rule, 403)
        assert r.status_code == expected, rule
    assert get(app, "/", "installer").headers["Location"].endswith("/fleet")


@pytest.mark.parametrize("role", ["admin", "analyst"])
def test_analyst_and_admin_open_every_page(app, role):
    for rule, scope in pages(app):
        r = get(app, fill(rule, "store-c", "park"), role)
        # store-c has no floor plan drawing (tests/integration/test_floor_dashboard.py serves one); the recognition
        # live views are their own roles' alone (test_recognition_live_views_only_for_their_role)
        assert r.status_code == (302 if rule == "/" else 404 if rule.endswith("/plan")
                                 else 403 if scope in ("security", "crm") else 200), rule


def test_nobody_signed_in_is_sent_to_the_login(app):
    r = app.test_client().get("/stores/store-a?from=2026-10-01")
    assert r.status_code == 302 and "/login?next=" in r.headers["Location"]
    assert app.test_client().get("/dashboard/static/dashboard.js").status_code == 200  # no figures in it


@pytest.mark.parametrize("query,field", [("from=yesterday", "from"), ("to=2026-13-01", "to"),
                                         ("from=2026-10-05&to=2026-10-01", "to"), ("interval=fortnight", "interval")])
def test_bad_picker_values_get_400_naming_the_field(app, query, field):
    r = get(app, f"/stores/store-a?{query}", "analyst")
    assert r.status_code == 400
    assert f"{field}:" in r.get_data(as_text=True)


def test_pages_call_the_api_with_the_picked_range(app):
    html = get(app, "/stores/store-a?from=2026-10-02&to=2026-10-05", "analyst").get_data(as_text=True)
    assert "/api/v1/stores/store-a/footfall?from=2026-10-02&amp;to=2026-10-05&amp;interval=hour" in html
    assert "/api/v1/stores/store-a/visitors?from=2026-10-02&amp;to=2026-10-05&amp;interval=day" in html  # auto: days
    assert "/api/v1/stores/store-a/footfall?from=2026-10-04&amp;to=2026-10-04&amp;interval=hour" in html  # day before
    assert "/api/v1/stores/store-a/footfall?from=2026-09-28&amp;to=2026-09-28&amp;interval=hour" in html  # week earlier
    assert "format=csv" in html and "export.csv" in html


def test_go_leads_to_the_picked_store_or_site(app):
    r = get(app, "/go?page=store&store=store-b&from=2026-10-01&to=2026-10-02", "analyst")
    assert r.status_code == 302 and r.headers["Location"] == "/stores/store-b?from=2026-10-01&to=2026-10-02"
    r = get(app, "/go?page=site&site=park&store=&from=2026-10-01", "analyst")
    assert r.headers["Location"] == "/sites/park?from=2026-10-01"
    assert get(app, "/go?page=site&store=", "analyst").status_code == 400
    assert get(app, "/go?store=store-b", "manager").status_code == 302  # a redirect only: the page checks the scope
    assert get(app, "/stores/store-b", "manager").status_code == 403


def test_recognition_live_views_only_for_their_role(tmp_path):
    cfg = CloudConfig.model_validate({"sites": SITES, "state_dir": str(tmp_path)})
    tokens = TokenStore(tmp_path / "api.sqlite")
    app = create_app(cfg, reader=Reader(cfg, InfluxV1("http://127.0.0.1:9", "none", timeout_s=0.5)), tokens=tokens)
    app.config["keys"] = {role: tokens.create(role, role) for role in ("admin", "analyst", "installer", "security", "crm")}
    allowed = {"/sites/mall/recognition/watchlist": "security", "/sites/mall/recognition/vip": "crm"}
    for path, only in allowed.items():
        for role in app.config["keys"]:
            assert get(app, path, role).status_code == (200 if role == only else 403), (path, role)
    page = get(app, "/sites/mall/recognition/watchlist", "security").get_data(as_text=True)
    assert "A match is not a finding" in page and "/api/v1/sites/mall/recognition/watchlist?" in page
    assert 'http-equiv="refresh"' in page  # the live view reloads itself
    vip = get(app, "/sites/mall/recognition/vip", "crm").get_data(as_text=True)
    assert "/api/v1/sites/mall/recognition/vip?" in vip and "watchlist" not in vip
    assert get(app, "/", "security").headers["Location"].startswith("/sites/mall/recognition/watchlist")
    assert get(app, "/", "crm").headers["Location"].startswith("/sites/mall/recognition/vip")
