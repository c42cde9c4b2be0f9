"""Access control, parameters and the OpenAPI document of the API, without a database: every check here happens
before a query is made (the Reader points at a closed port, so a figure reaching the database would fail loudly)."""
from __future__ import annotations

import json
import re

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
def api(tmp_path):
    cfg = CloudConfig.model_validate({"sites": SITES, "state_dir": str(tmp_path), "api": {"login_limit": "3 per minute"}})
    tokens = TokenStore(tmp_path / "api.sqlite")
    app = create_app(cfg, reader=Reader(cfg, InfluxV1("http://127.0.0.1:9", "none", timeout_s=0.5)), tokens=tokens)
    secrets = {role: tokens.create(role, role, ["store-a"] if role == "manager" else []) for role in
               ("admin", "analyst", "manager", "installer")}
    return app, tokens, secrets


def rules(app):
    """(rule, method, scope) of every route under /api/v1."""
    out = []
    for r in app.url_map.iter_rules():
        if r.rule.startswith("/api/v1"):
            for m in r.methods - {"HEAD", "OPTIONS"}:
                out.append((r, m, app.view_functions[r.endpoint].scope))
    return out


def call(client, rule, method, token, store="store-b", site="park"):
    path = rule.rule.replace("<store_id>", store).replace("<site_id>", site)
    return client.open(path, method=method, headers={"Authorization": f"Bearer {token}"},
                       data=b"[]", content_type="application/json")


def test_every_route_has_a_scope_and_a_manager_never_sees_another_store(api):
    app, _, secrets = api
    c = app.test_client()
    walked = 0
    for rule, method, scope in rules(app):
        if scope == "public":
            continue
        for store, site in (("store-b", "mall"), ("store-c", "park")):  # another store of its own site, another site
            r = call(c, rule, method, secrets["manager"], store, site)
            walked += 1
            listing = scope == "org" and not ("<site_id>" in rule.rule and site == "park")  # park: none of its stores
            if listing:
                assert r.status_code == 200, (rule.rule, r.status_code)
                assert store not in r.get_data(as_text=True), rule.rule  # listed only with what it may see
            else:
                assert r.status_code == 403, (rule.rule, site, r.status_code)
    assert walked >= 2 * 20


def test_every_dashboard_page_is_scoped_too(api):
    """The same walk over the pages (the dashboard's blueprint, when installed): another store's page is 403."""
    app, _, secrets = api
    c = app.test_client()
    pages = [(r, app.view_functions[r.endpoint]) for r in app.url_map.iter_rules()
             if not r.rule.startswith("/api/") and r.endpoint not in ("static", "login.login", "login.logout")]
    for rule, view in pages:
        if view.scope == "public":
            continue
        for store, site in (("store-b", "mall"), ("store-c", "park")):
            r = call(c, rule, "GET", secrets["manager"], store, site)
            if view.scope == "org":
                assert r.status_code in (200, 302, 400) and store not in r.get_data(as_text=True), (rule.rule, r.status_code)
            else:
                assert r.status_code == 403, (rule.rule, r.status_code)


def test_installer_sees_the_fleet_only(api):
    app, _, secrets = api
    c = app.test_client()
    for rule, method, scope in rules(app):
        if scope in ("site", "store", "store-write"):
            assert call(c, rule, method, secrets["installer"], "store-a", "mall").status_code == 403, rule.rule


def test_a_view_without_scope_stops_the_app(api):
    from footfall.cloud.api.app import check_scopes

    app, _, _ = api
    check_scopes(app)
    app.add_url_rule("/api/v1/sneaky", "sneaky", lambda: "figures")
    with pytest.raises(RuntimeError, match="sneaky"):
        check_scopes(app)


def test_no_token_401_bad_token_401_revoked_token_401(api):
    app, tokens, secrets = api
    c = app.test_client()
    assert c.get("/api/v1/me").status_code == 401
    assert c.get("/api/v1/me", headers={"Authorization": "Bearer fft_nonsense"}).status_code == 401
    h = {"Authorization": f"Bearer {secrets['analyst']}"}
    assert c.get("/api/v1/me", headers=h).json["role"] == "analyst"
    assert tokens.revoke("analyst")
    assert c.get("/api/v1/me", headers=h).status_code == 401
    raw = (tokens.path).read_bytes()
    assert not any(s.encode() in raw for s in secrets.values())  # only hashes are stored


@pytest.mark.parametrize("query,field", [("interval=fortnight", "interval"), ("from=yesterday", "from"),
                                         ("from=2026-02-01&to=2026-01-01", "to"), ("colour=red", "colour"),
                                         ("format=xml", "format")])
def test_bad_parameters_get_400_naming_the_field(api, query, field):
    app, _, secrets = api
    r = app.test_client().get(f"/api/v1/stores/store-a/footfall?{query}",
                              headers={"Authorization": f"Bearer {secrets['manager']}"})
    assert r.status_code == 400 and r.json["field"] == field and field in r.json["error"]


@pytest.mark.parametrize("body,ctype,field", [
    (b'[{"start": "2026-11-20T10:00", "transactions": -1}]', "application/json", "rows[0].transactions"),
    (b'[{"start": "soon", "transactions": 1}]', "application/json", "rows[0].start"),
    (b'[{"start": "2026-11-20", "transactions": 1, "tip": 3}]', "application/json", "rows[0].tip"),
    (b"when,transactions\n2026-11-20,3\n", "text/csv", "header"),
    (b"start,transactions,revenue\n2026-11-20,3,abc\n", "text/csv", "rows[0].revenue"),
    (b"{", "application/json", "body"), (b"x", "text/plain", "Content-Type")])
def test_bad_uploads_get_400_naming_the_field(api, body, ctype, field):
    app, _, secrets = api
    r = app.test_client().post("/api/v1/stores/store-a/transactions", data=body, content_type=ctype,
                               headers={"Authorization": f"Bearer {secrets['manager']}"})
    assert r.status_code == 400 and r.json["field"] == field, r.json


def test_openapi_document_matches_the_routes_and_is_valid(api):
    from openapi_spec_validator import validate

    app, _, _ = api
    doc = app.test_client().get("/api/v1/openapi.json").json
    validate(doc)
    documented = {(p, m.upper()) for p, ops in doc["paths"].items() for m in ops}
    served = {(re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", r.rule), m) for r, m, _ in rules(app)}
    assert documented == served
    for (path, method), (r, m, scope) in zip(sorted(documented), sorted(rules(app), key=lambda x: (
            re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", x[0].rule), x[1]))):
        assert doc["paths"][path][method.lower()]["x-scope"] == scope
        names = {p["name"] for p in doc["paths"][path][method.lower()]["parameters"] if p["in"] == "path"}
        assert names == set(re.findall(r"{([a-z_]+)}", path))


def login(c, name, password, csrf=True):
    page = c.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    form = {"name": name, "password": password, **({"csrf_token": token} if csrf else {})}
    return c.post("/login", data=form)


def test_web_login_session_csrf_and_secure_headers(api):
    app, tokens, _ = api
    pw = tokens.create("alice", "manager", ["store-a"], login=True)
    c = app.test_client()
    assert login(c, "alice", pw, csrf=False).status_code == 400  # a form without the token is refused
    r = login(c, "alice", pw)
    assert r.status_code == 302
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Lax" in cookie
    me = c.get("/api/v1/me")
    assert me.json == {"name": "alice", "role": "manager", "stores": ["store-a"], "kind": "login"}
    for h in ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "Strict-Transport-Security"):
        assert h in me.headers
    assert c.get("/api/v1/stores/store-b/dwell").status_code == 403
    # an unsafe method riding on the session cookie needs the CSRF token
    r = c.post("/api/v1/stores/store-a/transactions", data=b"[]", content_type="application/json")
    assert r.status_code == 400 and r.json["field"] == "X-CSRFToken"
    tokens.revoke("alice")
    assert c.get("/api/v1/me").status_code == 401  # a revoked login's session ends at once


def test_failed_logins_are_rate_limited(api):
    app, tokens, _ = api
    pw = tokens.create("bob", "analyst", login=True)
    c = app.test_client()
    assert [login(c, "bob", "wrong password").status_code for _ in range(3)] == [401] * 3
    assert login(c, "bob", pw).status_code == 429  # even the right password, until the window passes
    c2 = app.test_client()
    assert login(c2, "bob", pw).status_code == 429  # per address, not per cookie


def test_behind_a_proxy_the_limit_counts_per_forwarded_client(tmp_path):
    cfg = CloudConfig.model_validate({"sites": SITES, "state_dir": str(tmp_path),
                                      "api": {"login_limit": "2 per minute", "proxy_hops": 1}})
    tokens = TokenStore(tmp_path / "api.sqlite")
    app = create_app(cfg, reader=Reader(cfg, InfluxV1("http://127.0.0.1:9", "none")), tokens=tokens)
    pw = tokens.create("dave", "analyst", login=True)
    attacker = app.test_client()
    attacker.environ_base["HTTP_X_FORWARDED_FOR"] = "203.0.113.9"
    assert [login(attacker, "dave", "guess").status_code for _ in range(3)] == [401, 401, 429]
    user = app.test_client()
    user.environ_base["HTTP_X_FORWARDED_FOR"] = "198.51.100.4"
    assert login(user, "dave", pw).status_code == 302  # the proxy's own address is not what is counted


def test_successful_logins_are_not_limited(api):
    app, tokens, _ = api
    pw = tokens.create("carol", "analyst", login=True)
    c = app.test_client()
    assert all(login(c, "carol", pw).status_code == 302 for _ in range(6))


def test_token_cli_create_list_revoke(tmp_path):
    from click.testing import CliRunner

    from footfall.cloud.__main__ import main

    cfg = tmp_path / "cloud.yaml"
    cfg.write_text(json.dumps({"sites": SITES, "state_dir": str(tmp_path / "state")}))
    run = CliRunner().invoke
    r = run(main, ["token", "create", "--config", str(cfg), "m1", "--role", "manager", "--store", "store-a"])
    assert r.exit_code == 0 and r.output.startswith("fft_")
    bad = run(main, ["token", "create", "--config", str(cfg), "m2", "--role", "manager", "--store", "nowhere"])
    assert bad.exit_code == 2 and "--store" in bad.output
    assert run(main, ["token", "create", "--config", str(cfg), "m3", "--role", "manager"]).exit_code == 2
    listed = run(main, ["token", "list", "--config", str(cfg)]).output
    assert "m1\ttoken\tmanager\tstore-a" in listed and r.output.strip() not in listed
    assert run(main, ["token", "revoke", "--config", str(cfg), "m1"]).exit_code == 0
    assert TokenStore(tmp_path / "state" / "api.sqlite").by_token(r.output.strip()) is None


def test_systemd_unit_runs_the_api_command():
    import configparser
    from pathlib import Path

    from footfall.cloud.__main__ import main

    cp = configparser.ConfigParser(strict=False, interpolation=None)
    cp.read(Path(__file__).resolve().parents[2] / "deploy" / "systemd" / "footfall-api.service")
    argv = cp["Service"]["ExecStart"].split()
    assert argv[0].endswith("/footfall-cloud") and argv[1] == "api" and argv[1] in main.commands
    assert cp["Service"]["StateDirectory"] == "footfall-cloud" and cp["Service"]["User"] == "footfall"
