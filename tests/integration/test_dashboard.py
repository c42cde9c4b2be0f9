"""The web dashboard in Debian's headless Chromium (Playwright), served by waitress over a real influxd.

Data: the store page benchmark's seeding (footfall.bench.api.seed: a store's door and floor minute by minute, visitors,
POS) for 8 days, so the last day has a day before and a same weekday a week earlier, plus flows, a display, and
health and counts of the last minutes (fleet, alerts, live occupancy). Every page is loaded at desktop and phone
width with no console error and no failed request, its charts hold data, its tables show what the API returns ("<5"
included), and a screenshot of it is saved under out/screenshots/dashboard/."""
from __future__ import annotations

import re
import threading
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests

from footfall.bench.api import START, seed
from footfall.cloud.api import create_app
from footfall.cloud.api.tokens import TokenStore
from footfall.cloud.config import CloudConfig
from footfall.cloud.query import Reader
from footfall.cloud.store.influx import InfluxV1

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "out" / "screenshots" / "dashboard"
DAYS = 8
DAY = (START + timedelta(days=DAYS - 1)).date().isoformat()  # the page's day: 2026-10-08
RANGE = f"from={DAY}&to={DAY}"
SITE = {"id": "mall", "name": "Mall West", "timezone": "Europe/Berlin", "entrances": ["entrance"],
        "stores": [{"id": "store-a", "zones": ["a-floor"]}, {"id": "store-b", "zones": ["b-floor"]}]}
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}
FLOWS = {("entrance", "store-a"): 40, ("entrance", "store-b"): 12, ("store-a", "store-b"): 3,  # 3: shown as <5
         ("store-b", "store-a"): 7, ("store-a", "entrance"): 30}


def ns(t: datetime) -> int:
    return int(t.timestamp()) * 10**9


def extra_lines(now: datetime) -> list[str]:
    """What the benchmark's seeding lacks: store-b's floor, flows and a display on the page's day; health of every
    device over the last 15 minutes (store-b's camera frozen for the last 5: an ongoing alert); counts of the last
    minutes for live occupancy."""
    day = START + timedelta(days=DAYS - 1)
    lines = []
    for h in range(8, 20):
        t = day + timedelta(hours=h)
        lines.append(f"footfall_zone,site=mall,device=cam-b,zone=b-floor entries={h % 4 + 2}i,exits={h % 4 + 1}i,"
                     f"occupancy_max=3i,dwell_n={h % 4 + 1}i,occupancy_mean=1.5,dwell_s_sum={60.0 * (h % 4 + 1)} {ns(t)}")
        viewers = 3 if h == 8 else 9 + h % 3  # 3: shown as <5
        lines.append(f"footfall_display,site=mall,device=screen-1,display=promo passers={20 + h}i,viewers={viewers}i,"
                     f"look_s_sum={2.5 * viewers} {ns(t)}")
        # opt-in audience insights: store-a's camera and the screen (a band of 1 or 2 people: shown as <5)
        for attribute, band, n in (("age", "25-34", 6), ("age", "35-44", h % 3), ("gender", "female", 5),
                                   ("gender", "male", 1 + h % 3)):
            lines.append(f"footfall_audience,site=mall,device=cam-a,attribute={attribute},band={band} n={n}i {ns(t)}")
        lines.append(f"footfall_reactions,site=mall,device=screen-1,display=promo delighted=6i,neutral=2i,"
                     f"disinterested=0i,look_s_sum=20.0 {ns(t)}")
    for (a, b), moves in FLOWS.items():
        lines.append(f'footfall_flow,site=mall,from={a},to={b} moves={moves}i {ns(day + timedelta(hours=12))}')
    for m in range(15, 0, -1):
        t = now - timedelta(minutes=m)
        for dev in ("cam-a", "cam-b", "entrance", "screen-1"):
            camera = "frozen" if dev == "cam-b" and m <= 5 else "ok"
            lines.append(f'footfall_health,site=mall,device={dev} fps=14.{m % 10},detect_ms=21.5,embed_ms=8.0,'
                         f'uptime_s={3600.0 + 60 * (15 - m)},outbox_depth=0i,outbox_dropped=0i,dropped_frames=0i,'
                         f'camera="{camera}",clock_synced=true {ns(t)}')
    lines.append(f"footfall_line,site=mall,device=entrance,line=main in=9i,out=4i {ns(now - timedelta(minutes=1))}")
    lines.append(f"footfall_line,site=mall,device=cam-a,line=a-door in=3i,out=1i {ns(now - timedelta(minutes=1))}")
    return lines


@pytest.fixture(scope="module")
def dash(influxd, tmp_path_factory):
    """The app (API + dashboard) in waitress on a free port over a database of this module; logins of each role."""
    from waitress.server import create_server

    tmp = tmp_path_factory.mktemp("dashboard")
    db = InfluxV1(influxd.url, f"t_{uuid.uuid4().hex[:10]}")
    db.ensure_database()
    seed(db, DAYS)
    db.write(extra_lines(datetime.now(timezone.utc).replace(second=0, microsecond=0)))
    cfg = CloudConfig.model_validate({"influx": {"url": influxd.url, "database": db.database}, "sites": [SITE],
                                      "state_dir": str(tmp), "api": {"secure_cookies": False, "status_watch": False}})
    tokens = TokenStore(tmp / "api.sqlite")
    logins = {"analyst": ("ana", "analyst", []), "manager": ("mgr", "manager", ["store-a"]),
              "installer": ("ins", "installer", [])}
    passwords = {role: (name, tokens.create(name, role, stores, login=True)) for role, (name, role, stores) in logins.items()}
    key = tokens.create("api-analyst", "analyst")
    app = create_app(cfg, reader=Reader(cfg, db), tokens=tokens)
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    threading.Thread(target=server.run, daemon=True).start()
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {key}"
    try:
        yield SimpleNamespace(base=f"http://127.0.0.1:{server.effective_port}", db=db, logins=passwords, api=api, cfg=cfg)
    finally:
        server.close()
        db._call("POST", "/query", params={"q": f'DROP DATABASE "{db.database}"'})


class Tab:
    """A page in a fresh context that records console errors, failed requests and HTTP errors."""

    def __init__(self, browser, dash, size=WIDTHS["desktop"], clock=False):
        self.dash = dash
        self.ctx = browser.new_context(viewport={"width": size[0], "height": size[1]}, accept_downloads=True)
        self.page = self.ctx.new_page()
        self.problems: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.problems.append(f"console: {m.text} ({m.location.get('url')})"))
        self.page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        self.page.on("requestfailed", lambda r: self.problems.append(f"failed: {r.url} {r.failure}"))
        self.page.on("response", lambda r: r.status >= 400 and self.problems.append(f"HTTP {r.status}: {r.url}"))  # noqa
        if clock:
            self.page.clock.install()

    def login(self, role: str, path: str = "/"):
        name, password = self.dash.logins[role]
        self.page.goto(f"{self.dash.base}/login?next={requests.utils.quote(path, safe='/?=&')}")
        self.page.fill("input[name=name]", name)
        self.page.fill("input[name=password]", password)
        self.page.click("button[type=submit]")
        self.ready()  # the landing page's calls all answered: none is cut off by the next navigation
        return self

    def open(self, path: str):
        r = self.page.goto(self.dash.base + path)
        self.ready()
        return r

    def ready(self):
        self.page.wait_for_selector("body[data-ready='1']", timeout=30_000)

    def close(self):
        self.ctx.close()


@pytest.fixture
def tab(browser, dash):
    tabs = []

    def make(role="analyst", size=WIDTHS["desktop"], clock=False):
        t = Tab(browser, dash, size, clock).login(role)
        tabs.append(t)
        return t

    yield make
    for t in tabs:
        t.close()


PAGES = {"site": f"/sites/mall?{RANGE}", "store": f"/stores/store-a?{RANGE}", "flows": f"/sites/mall/flows?{RANGE}",
         "displays": f"/sites/mall/displays?{RANGE}", "fleet": "/fleet"}


def chart_data(page) -> list[list]:
    """The datasets' data of every chart on the page (Chart.js's own record of what it drew)."""
    return page.evaluate("""() => Array.from(document.querySelectorAll('canvas')).map(c => {
        const ch = Chart.getChart(c); return ch ? ch.data.datasets.map(d => d.data) : null; })""")


def records(page, selector) -> list[dict[str, str]]:
    """A table's rows keyed by its column headings."""
    return page.eval_on_selector_all(f"{selector} table", """ts => { const t = ts[0];
        const heads = Array.from(t.querySelectorAll('thead th')).map(h => h.textContent);
        return Array.from(t.querySelectorAll('tbody tr')).map(r =>
            Object.fromEntries(Array.from(r.children).map((c, i) => [heads[i], c.textContent]))); }""")


def cells(page, selector) -> list[list[str]]:
    return page.eval_on_selector_all(f"{selector} tbody tr",
                                     "rows => rows.map(r => Array.from(r.children).map(c => c.textContent))")


@pytest.mark.parametrize("width", list(WIDTHS))
def test_every_page_loads_without_errors_with_charts_drawn(tab, width):
    t = tab("analyst", WIDTHS[width])
    SHOTS.mkdir(parents=True, exist_ok=True)
    for name, path in PAGES.items():
        t.open(path)
        assert not t.problems, (name, t.problems)
        assert not t.page.query_selector_all(".panel .error"), name
        for drawn in chart_data(t.page):
            assert drawn and all(any(isinstance(v, (int, float)) and v > 0 for v in data) for data in drawn), (name, drawn)
        if width == "phone":  # nothing wider than the phone: the page does not scroll sideways
            assert t.page.evaluate("document.documentElement.scrollWidth") <= WIDTHS["phone"][0], name
        t.page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)


def test_store_page_shows_what_the_api_returns(tab, dash):
    t = tab("analyst")
    t.open(PAGES["store"])
    hourly = dash.api.get(f"{dash.base}/api/v1/stores/store-a/footfall?{RANGE}&interval=hour").json()
    rows = cells(t.page, "#store-footfall")
    assert len(rows) == len(hourly["rows"]) == 24
    assert [int(r[1].replace(",", "")) for r in rows] == [r["in"] for r in hourly["rows"]]
    (drawn_in, drawn_out) = chart_data(t.page)[0]
    assert drawn_in == [r["in"] for r in hourly["rows"]] and drawn_out == [r["out"] for r in hourly["rows"]]
    # comparisons: the day, the day before, the same weekday a week earlier, each the API's total
    compare = {r[0]: r for r in cells(t.page, "#store-compare")}
    for col, day in ((1, DAY), (2, (START + timedelta(days=DAYS - 2)).date()), (4, START.date())):
        total = dash.api.get(f"{dash.base}/api/v1/stores/store-a/footfall?from={day}&to={day}").json()["total"]
        assert int(compare["In"][col].replace(",", "")) == total["in"], (col, day)
    visitors = dash.api.get(f"{dash.base}/api/v1/stores/store-a/visitors?{RANGE}&interval=hour").json()
    assert [r[1].replace(",", "") for r in cells(t.page, "#store-visitors")] == [str(r["unique"]) for r in visitors["rows"]]
    assert any(r["unique"] for r in visitors["rows"])
    conv = dash.api.get(f"{dash.base}/api/v1/stores/store-a/conversion?{RANGE}").json()
    shown = [r[4] for r in cells(t.page, "#store-conversion")]
    assert shown == [f"{v['conversion'] * 100:.1f} %" if isinstance(v["conversion"], float) else
                     ("–" if v["conversion"] is None else str(v["conversion"])) for v in conv["rows"]]


def test_fewer_than_five_shows_as_such(tab, dash):
    t = tab("analyst")
    t.open(PAGES["flows"])
    flows = dash.api.get(f"{dash.base}/api/v1/sites/mall/flows?{RANGE}").json()
    matrix = cells(t.page, "#flows-matrix")
    for i, row in enumerate(matrix):
        assert row[0] == flows["places"][i]
        assert row[1:] == [str(v) for v in flows["matrix"][i]]
    a, b = flows["places"].index("store-a"), flows["places"].index("store-b")
    assert flows["matrix"][a][b] == "<5" and matrix[a][b + 1] == "<5"
    assert t.page.eval_on_selector_all("#flows-matrix td.k", "tds => tds.length") == sum(
        v == "<5" for row in flows["matrix"] for v in row)
    t.open(PAGES["displays"])
    shown = cells(t.page, "#displays")
    at_eight = next(r for r in shown if r[1] == "10:00")  # one day: hours only; 08:00 UTC: the hour of 3 viewers
    assert at_eight[2] == "28" and at_eight[3] == at_eight[4] == at_eight[5] == "<5"  # viewers, attention, mean look
    assert all(r[3] != "<5" for r in shown if r[1] != "10:00")


def test_audience_panels_show_what_the_api_returns(tab, dash):
    t = tab("analyst")
    t.open(PAGES["store"])
    mix = dash.api.get(f"{dash.base}/api/v1/stores/store-a/audience?{RANGE}&interval=hour").json()
    shown = records(t.page, "#store-audience")
    assert len(shown) == len(mix["rows"]) == 24
    for row, answer in zip(shown, mix["rows"]):
        assert row["25-34"] == str(answer["age"]["25-34"]) and row["35-44"] == str(answer["age"]["35-44"])
        assert row["Male"] == str(answer["gender"]["male"])
    assert {r["35-44"] for r in shown} >= {"<5", "0"} and "6" in {r["25-34"] for r in shown}
    t.open(PAGES["displays"])
    reactions = records(t.page, "#reactions")
    assert reactions and all(r["Delighted"] == "75.0 %" and r["Disinterested"] == "0.0 %" and r["Neutral"] == "<5"
                             for r in reactions if r["Looks"] != "0")


def test_live_occupancy_refreshes_itself(tab, dash):
    t = tab("analyst", clock=True)
    t.open(f"/sites/mall?{RANGE}")
    tile = t.page.locator("#occ-site .value")
    before = dash.api.get(f"{dash.base}/api/v1/sites/mall/occupancy").json()["occupancy"]
    assert tile.text_content() == str(before)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    dash.db.write([f"footfall_line,site=mall,device=entrance,line=main in=6i,out=0i {ns(now - timedelta(seconds=20))}"])
    after = dash.api.get(f"{dash.base}/api/v1/sites/mall/occupancy").json()["occupancy"]
    assert after == before + 6
    t.page.clock.run_for(31_000)  # past the 30 s refresh
    # a round counts once every tile of it has its answer (this tile's may come before the others')
    t.page.wait_for_function("() => Number(document.querySelector('#live').dataset.refreshed) >= 2")
    assert tile.text_content() == str(after)
    assert not t.problems


def test_a_page_is_ready_only_once_its_live_tiles_answered(tab):
    """Ready means nothing is still loading: leaving the page then cuts no call off (and screenshots are whole)."""
    t = tab("analyst")
    # the live tiles' calls answer a second after every panel's
    t.page.add_init_script("""{ const f = window.fetch;
        window.fetch = (u, o) => /occupancy/.test(u) ? new Promise(r => setTimeout(r, 1000)).then(() => f(u, o)) : f(u, o); }""")
    t.open(f"/sites/mall?{RANGE}")
    tiles = t.page.locator("#live .tile[data-api]")
    assert tiles.count() >= 2
    assert all(tiles.nth(i).get_attribute("data-as-of") for i in range(tiles.count()))
    t.open(PAGES["store"])
    assert not t.problems


def test_pickers_and_navigation(tab):
    t = tab("analyst")
    t.open(PAGES["store"])
    t.page.select_option("#pick-store", "store-b")  # the store picker submits itself
    t.page.wait_for_url(re.compile(r"/stores/store-b\?"))
    t.ready()
    assert f"from={DAY}" in t.page.url and t.page.text_content("h1").startswith("store-b")
    t.page.fill("#pick-from", "2026-10-02")
    t.page.fill("#pick-to", "2026-10-05")
    t.page.click("form.pickers button[type=submit]")
    t.page.wait_for_url(re.compile(r"from=2026-10-02&to=2026-10-05"))
    t.ready()
    assert "2026-10-02 – 2026-10-05" in t.page.text_content("h1")
    assert len(cells(t.page, "#store-footfall")) == 4 * 24  # hourly chart over four days
    assert len(cells(t.page, "#store-visitors")) == 4  # auto interval: days
    SHOTS.mkdir(parents=True, exist_ok=True)
    t.page.screenshot(path=str(SHOTS / "store-b-4-days-desktop.png"), full_page=True)
    t.page.click("header.top nav >> text=Flows")
    t.page.wait_for_url(re.compile(r"/sites/mall/flows\?from=2026-10-02&to=2026-10-05"))
    t.ready()
    t.page.click("header.top nav >> text=Mall West")
    t.page.wait_for_url(re.compile(r"/sites/mall\?"))
    t.ready()
    t.page.select_option("#pick-interval", "day")
    t.page.click("form.pickers button[type=submit]")
    t.page.wait_for_url(re.compile(r"interval=day"))
    t.ready()
    assert len(cells(t.page, "#site-footfall")) == 4
    t.page.select_option("#pick-store", "store-a")
    t.page.wait_for_url(re.compile(r"/stores/store-a\?"))
    t.ready()
    t.page.click("header.top nav >> text=Fleet")
    t.page.wait_for_url(re.compile(r"/fleet"))
    t.ready()
    assert not t.problems


def test_fleet_lists_devices_and_the_ongoing_alert(tab, dash):
    t = tab("installer")
    assert t.page.url.endswith("/fleet")
    t.ready()
    assert [a.text_content() for a in t.page.query_selector_all("header.top nav a")] == ["Fleet"]
    fleet = dash.api.get(f"{dash.base}/api/v1/fleet").json()["devices"]
    shown = {r["Device"]: r for r in records(t.page, "#fleet-devices")}
    assert set(shown) == {d["device"] for d in fleet}
    assert {dev: r["Camera"] for dev, r in shown.items()} == {d["device"]: d["camera"] for d in fleet}
    assert shown["cam-b"]["Camera"] == "frozen" and shown["cam-a"]["Camera"] == "ok"
    alerts = records(t.page, "#alerts-mall")
    assert {"Device": "cam-b", "Alert": "camera frozen", "Ended": "ongoing"}.items() <= next(
        a for a in alerts if a["Device"] == "cam-b").items(), alerts
    assert not t.problems
    r = t.page.goto(dash.base + PAGES["store"])
    assert r.status == 403 and "Not yours to see" in t.page.text_content("h1")


def test_manager_sees_only_its_store(tab, dash):
    t = tab("manager")
    assert t.page.url.endswith("/stores/store-a")
    t.ready()
    assert [a.text_content() for a in t.page.query_selector_all("header.top nav a")] == ["store-a"]
    assert t.page.eval_on_selector_all("#pick-store option", "os => os.map(o => o.value)") == ["store-a"]
    assert not t.problems
    for path in ("/stores/store-b", f"/stores/store-b?{RANGE}", "/sites/mall", "/sites/mall/flows",
                 "/sites/mall/displays", "/fleet"):
        r = t.page.goto(dash.base + path)
        assert r.status == 403, path
        if path == "/sites/mall":
            SHOTS.mkdir(parents=True, exist_ok=True)
            t.page.screenshot(path=str(SHOTS / "forbidden-desktop.png"))
        assert "store-b" not in t.page.text_content("main") or path.startswith("/stores/store-b")
    assert t.page.goto(dash.base + "/stores/nowhere").status == 403  # not on its login: no hint whether it exists


def test_every_table_downloads_as_the_apis_csv(tab, dash):
    t = tab("analyst")
    for name in ("store", "site", "flows", "displays", "fleet"):
        t.open(PAGES[name])
        links = t.page.eval_on_selector_all("a.csv", "as => as.map(a => a.href)")
        tables = t.page.eval_on_selector_all(".panel[data-view]", "ps => ps.length")
        assert len(links) >= tables, name
        for href in links:
            r = t.ctx.request.get(href)  # the page's own cookie
            assert r.status == 200 and r.headers["content-type"].startswith("text/csv"), href
            if r.text().strip():
                assert len(r.text().splitlines()[0].split(",")) >= 2, href
            else:  # an empty table: the JSON answer has no rows either
                answer = t.ctx.request.get(href.replace("&format=csv", "")).json()
                assert not any(isinstance(v, list) and v for v in answer.values()), href
    assert not t.problems


def test_a_revoked_login_is_sent_to_the_login_page(tab, dash):
    """The page's own API calls find the session gone and go to the login, coming back to the page afterwards."""
    t = tab("analyst", clock=True)
    t.open(PAGES["store"])
    name, _ = dash.logins["analyst"]
    tokens = TokenStore(Path(dash.cfg.state_dir) / "api.sqlite")
    assert tokens.revoke(name)
    try:
        t.page.clock.run_for(31_000)  # the live refresh's call answers 401: the script goes to the login
        t.page.wait_for_url(re.compile(r"/login\?next="))
        assert requests.utils.unquote(t.page.url).endswith("next=" + PAGES["store"])
    finally:
        tokens.delete_revoked(name)
        dash.logins["analyst"] = (name, tokens.create(name, "analyst", login=True))


def test_sign_out(tab, dash):
    t = tab("analyst")
    t.open(PAGES["site"])
    t.page.click("form.who button")
    t.page.wait_for_url(re.compile(r"/login"))
    assert t.page.goto(dash.base + PAGES["store"]).url.startswith(dash.base + "/login")
    SHOTS.mkdir(parents=True, exist_ok=True)
    t.page.screenshot(path=str(SHOTS / "login-desktop.png"))  # login.py's form with the dashboard's stylesheet
    assert t.page.eval_on_selector("main form", "f => getComputedStyle(f).borderRadius") == "8px"


def test_demo_serves_the_dashboard_with_its_login(dash):
    """What `make demo` calls: a server of its own, a fresh analyst login, the landing page on the demo's day."""
    from footfall.cloud.api.dashboard.demo import start

    d = start(dash.cfg, day=DAY)
    try:
        http = requests.Session()
        form = http.get(d.url, timeout=10)  # not signed in: the login form
        assert form.url.startswith(d.url.split("/?")[0] + "/login")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
        page = http.post(form.url, data={"name": d.name, "password": d.password, "csrf_token": csrf}, timeout=10)
        assert page.status_code == 200 and page.url.endswith(f"/sites/mall?from={DAY}&to={DAY}")
        assert 'data-page="site"' in page.text
        again = start(dash.cfg)  # a second start makes the login again: the old password is out
        try:
            assert again.password != d.password
            fresh = requests.Session()
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', fresh.get(form.url, timeout=10).text).group(1)
            assert fresh.post(form.url, data={"name": d.name, "password": d.password, "csrf_token": csrf},
                              timeout=10).status_code == 401
        finally:
            again.close()
    finally:
        d.close()
