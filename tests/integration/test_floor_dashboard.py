"""The store page's floor heatmap in Debian's headless Chromium over real InfluxDB: the plan drawing, the picked
range, the before range and the change are drawn cell by cell as the API answers them, "<5" cells hatched (and left
out of the change), the hours picker narrows the map; a screenshot goes to out/screenshots/dashboard/floor.png."""
from __future__ import annotations

import threading
import uuid
from datetime import datetime
from pathlib import Path

import cv2
import numpy as np
import pytest
import requests

from footfall.cloud.api import create_app
from footfall.cloud.api.tokens import TokenStore
from footfall.cloud.config import CloudConfig
from footfall.cloud.query import Reader
from footfall.cloud.store.influx import InfluxV1

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
SHOT = ROOT / "out" / "screenshots" / "dashboard" / "floor.png"
STORE = {"id": "store-a", "zones": ["a-floor"], "floor": {
    "image": "plan.png", "size_m": [12, 8], "grid": [12, 8],
    "cameras": [{"device": "cam-a", "position": [3, 0]}, {"device": "cam-b", "position": [9, 0]}]}}
SITE = {"id": "mall", "timezone": "Europe/Berlin", "stores": [STORE]}
AFTER, BEFORE = "2026-10-08", "2026-10-01"
# (day, local hour, cell, person_s, tracks): the aisle at row 3 is busy after a layout change, row 6 before;
# cell 5 has 3 people after (hatched)
DATA = ([(AFTER, 10, 3 * 12 + c, 40.0 + 10 * c, 8) for c in range(12)] + [(AFTER, 15, 5, 9.0, 3)]
        + [(AFTER, 15, 3 * 12 + 1, 500.0, 9)]
        + [(BEFORE, 10, 6 * 12 + c, 60.0, 7) for c in range(12)] + [(BEFORE, 10, 3 * 12 + 4, 30.0, 6)])


def lines() -> list[str]:
    out = []
    for day, hour, cell, s, n in DATA:
        t = datetime.fromisoformat(f"{day}T{hour:02d}:00:00+02:00")
        device = "cam-a" if cell % 12 < 6 else "cam-b"
        out.append(f"footfall_floor,cell={cell},device={device},site=mall,store=store-a person_s={s},tracks={n}i "
                   f"{int(t.timestamp()) * 10**9}")
    return out


@pytest.fixture(scope="module")
def dash(influxd, tmp_path_factory):
    from waitress.server import create_server

    tmp = tmp_path_factory.mktemp("floor-dash")
    plan = np.full((400, 600, 3), 245, np.uint8)  # a plan drawing: shelves as dark bars
    for y in (90, 250):
        cv2.rectangle(plan, (40, y), (560, y + 40), (120, 120, 120), -1)
    cv2.imwrite(str(tmp / "plan.png"), plan)
    db = InfluxV1(influxd.url, f"t_{uuid.uuid4().hex[:10]}")
    db.ensure_database()
    db.write(lines())
    cfg = CloudConfig.model_validate({"influx": {"url": influxd.url, "database": db.database}, "sites": [SITE],
                                      "state_dir": str(tmp), "api": {"secure_cookies": False, "status_watch": False}})
    tokens = TokenStore(tmp / "api.sqlite")
    password = tokens.create("mgr", "manager", ["store-a"], login=True)
    app = create_app(cfg, reader=Reader(cfg, db), tokens=tokens)
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    threading.Thread(target=server.run, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}", password
    finally:
        server.close()
        db._call("POST", "/query", params={"q": f'DROP DATABASE "{db.database}"'})


@pytest.fixture(scope="module")
def page(dash, browser):
    base, password = dash
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    p = ctx.new_page()
    problems = []
    p.on("console", lambda m: m.type == "error" and problems.append(m.text))
    p.on("response", lambda r: r.status >= 400 and problems.append(f"HTTP {r.status}: {r.url}"))
    p.goto(f"{base}/login?next={requests.utils.quote('/stores/store-a', safe='/')}")
    p.fill("input[name=name]", "mgr")
    p.fill("input[name=password]", password)
    p.click("button[type=submit]")
    p.wait_for_selector("body[data-ready='1']")
    yield p, base, problems
    ctx.close()


def open_store(p, base, query):
    p.goto(f"{base}/stores/store-a?{query}")
    p.wait_for_selector("body[data-ready='1']", timeout=30_000)


def map_cells(p, n: int) -> dict[int, dict]:
    """The n-th map's cells: background colour, classes, tooltip."""
    return {int(c["cell"]): c for c in p.eval_on_selector_all(
        f"#store-floor figure:nth-child({n + 1}) .cell",
        "cs => cs.map(c => ({cell: c.dataset.cell, bg: c.style.backgroundColor, cls: c.className, title: c.title}))")}


def test_heatmap_before_after_and_change_over_the_plan(page):
    p, base, problems = page
    open_store(p, base, f"from={AFTER}&to={AFTER}&before_from={BEFORE}&before_to={BEFORE}")
    assert not problems, problems
    captions = p.eval_on_selector_all("#store-floor figcaption", "fs => fs.map(f => f.textContent)")
    assert captions == [f"Before: {BEFORE}", f"After: {AFTER}", "Change (red more, blue less)"]
    assert p.eval_on_selector_all("#store-floor img", "is => is.every(i => i.complete && i.naturalWidth === 600)")
    before, after, change = map_cells(p, 0), map_cells(p, 1), map_cells(p, 2)
    assert len(after) == 96
    assert all(after[3 * 12 + c]["bg"].startswith("rgba(220, 38, 38") for c in range(12))  # the new busy aisle
    assert all(not after[6 * 12 + c]["bg"] for c in range(12)) and all(before[6 * 12 + c]["bg"] for c in range(12))
    assert "k" in after[5]["cls"].split() and not after[5]["bg"] and not change[5]["bg"]  # 3 people: hatched, no change
    assert change[6 * 12]["bg"].startswith("rgba(37, 99, 235") and change[3 * 12]["bg"].startswith("rgba(220, 38, 38")
    assert after[3 * 12 + 1]["title"].startswith("550 person-s · 17 people")
    rows = p.eval_on_selector_all("#store-floor tbody tr", "rs => rs.map(r => r.children[0].textContent)")
    assert rows[0] == str(3 * 12 + 1)  # busiest cell first
    SHOT.parent.mkdir(parents=True, exist_ok=True)
    p.locator("#store-floor").screenshot(path=str(SHOT))


def test_hours_picker_narrows_the_map(page):
    p, base, problems = page
    open_store(p, base, f"from={AFTER}&to={AFTER}&before_from={BEFORE}&before_to={BEFORE}")
    p.fill("#pick-hours", "15-16")
    p.click(".floor-pickers button[type=submit]")
    p.wait_for_selector("body[data-ready='1']")
    assert "hours=15-16" in p.url
    after = map_cells(p, 1)
    assert after[3 * 12 + 1]["title"].startswith("500 person-s") and not after[3 * 12 + 2]["bg"]
    assert not problems, problems
