"""Opt-in audience counts through the real path (mosquitto, ingest, InfluxDB) to the API and the Grafana panels:
stored in their own measurements, with no code; every band and share of fewer than 5 people is "<5"."""
from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from grafana_queries import panel_queries, render, variables
from scene_publish import publish_messages

from footfall.cloud.api import create_app
from footfall.cloud.api.tokens import TokenStore
from footfall.cloud.config import CloudConfig
from footfall.cloud.ingest.service import Ingest
from footfall.cloud.query import Reader
from footfall.protocol import CountsMessage, ZoneCount
from footfall.protocol.messages import AudienceCounts, ReactionCount

pytestmark = pytest.mark.integration
BOARDS = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "dashboards"
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)  # 10:00 in Berlin
SITE = {"id": "mall-aud", "timezone": "Europe/Berlin", "stores": [{"id": "shop", "zones": ["shop-floor"]}]}
# per minute for 60 minutes (10:00-11:00 Berlin) and 10 minutes of the next hour
AGE = {"25-34": 1, "35-44": 1}  # per minute: 60 and 60 in the first hour, 10 and 10 in the second
GENDER = {"female": 1, "male": 1}


def messages() -> list[CountsMessage]:
    out = []
    for minute in range(70):
        start = T0 + timedelta(minutes=minute)
        env = {"site": "mall-aud", "ts": start + timedelta(seconds=60), "interval_start": start, "interval_s": 60}
        age = {b: (AGE.get(b, 0) if minute < 69 else 0) for b in ("<18", "25-34", "35-44", "65+")}
        if minute == 5:
            age["65+"] = 3  # three people over 65 all hour: "<5"
        out.append(CountsMessage(device="shop-cam", seq=minute, **env,
                                 zones=[ZoneCount(zone="shop-floor", entries=2, exits=2, occupancy_max=2, occupancy_mean=1.0)],
                                 audience=AudienceCounts(age=age, gender=GENDER)))
        # a screen: 2 delighted looks a minute in the first 3 minutes, 1 neutral in 4 minutes, 1 disinterested
        r = ReactionCount(display="screen", delighted=2 if minute < 3 else 0, neutral=1 if minute in (10, 11, 12, 13) else 0,
                          disinterested=1 if minute == 20 else 0, look_s_sum=5.0 if minute < 3 else 0.0)
        out.append(CountsMessage(device="screen-cam", seq=minute, **env, reactions=[r]))
    return out


@pytest.fixture(scope="module")
def cloud(influxd, tmp_path_factory):
    from footfall.devserver.services import Mosquitto, ensure_installed, free_port

    ensure_installed(("mosquitto",))
    tmp = tmp_path_factory.mktemp("audience")
    broker = Mosquitto("mosquitto", tmp / "broker", free_port())
    broker.start()
    db = f"t_{uuid.uuid4().hex[:10]}"
    cfg = CloudConfig.model_validate({
        "mqtt": {"host": "127.0.0.1", "port": broker.port, "client_id": f"ingest-{db}"},
        "influx": {"url": influxd.url, "database": db}, "sites": [SITE], "state_dir": str(tmp / "cloud"),
        "api": {"secure_cookies": False}})
    ing = Ingest(cfg)
    ing.start()
    try:
        assert ing.connected.wait(10)
        msgs = messages()
        publish_messages(broker.port, msgs, "audience-test")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (ing.handler.counts["stored"] >= len(msgs) and ing.state.spool_rows() == 0):
            time.sleep(0.1)
        assert ing.writer.drain(30) and ing.handler.counts["stored"] == len(msgs)
        tokens = TokenStore(tmp / "cloud" / "api.sqlite")
        app = create_app(cfg, reader=Reader(cfg, ing.db), tokens=tokens)
        yield app, ing.db, tokens.create("analyst", "analyst"), tokens.create("m", "manager", ["shop"])
    finally:
        ing.close()
        broker.stop()


def get(app, path, key):
    r = app.test_client().get(path, headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 200, (path, r.status_code, r.get_data(as_text=True)[:300])
    return r.json if r.is_json else r.get_data(as_text=True)


def test_own_measurements_and_no_code(cloud):
    app, db, _, _ = cloud
    assert {r["name"] for r in db.query("SHOW MEASUREMENTS")} >= {"footfall_audience", "footfall_reactions"}
    rows = db.query("SELECT sum(n) AS n FROM footfall_audience WHERE attribute = 'age' GROUP BY band")
    assert {r["band"]: r["n"] for r in rows} == {"<18": 0, "25-34": 69, "35-44": 69, "65+": 3}
    keys = {r["key"] for m in ("footfall_audience", "footfall_reactions") for r in db.query(f"SHOW SERIES FROM {m}")}
    assert keys and all("code" not in k and "visitor" not in k for k in keys)
    fields = {r["fieldKey"] for m in ("footfall_audience", "footfall_reactions") for r in db.query(f"SHOW FIELD KEYS FROM {m}")}
    assert fields == {"n", "delighted", "neutral", "disinterested", "look_s_sum"}


def test_store_audience_mix_by_hour_with_small_bands_hidden(cloud):
    app, _, analyst, manager = cloud
    got = get(app, "/api/v1/stores/shop/audience?from=2026-11-20T10:00&to=2026-11-20T12:00&interval=hour", manager)
    first, second = got["rows"]
    assert first["start"] == "2026-11-20T10:00:00+01:00"
    assert first["age"] == {"<18": 0, "18-24": 0, "25-34": 60, "35-44": 60, "45-54": 0, "55-64": 0, "65+": "<5",
                            "unknown": 0}
    assert first["gender"] == {"female": 60, "male": 60, "unknown": 0} and first["people"] == 123
    assert second["age"]["25-34"] == 9 and second["gender"]["female"] == 10
    # whole range: the three over-65s join their neighbours until the group holds 5 or more
    assert got["total"]["age_merged"] == [{"band": "25-34", "n": 69}, {"band": "35+", "n": 72}]
    csv = get(app, "/api/v1/stores/shop/audience?from=2026-11-20&to=2026-11-20&format=csv", analyst)
    assert "age.65+" in csv.splitlines()[0] and "<5" in csv


def test_display_reaction_shares(cloud):
    app, _, analyst, manager = cloud
    got = get(app, "/api/v1/sites/mall-aud/reactions?from=2026-11-20&to=2026-11-20&interval=hour", analyst)
    (screen,) = got["displays"]
    total = screen["total"]
    # 6 delighted, 4 neutral, 1 disinterested of 11 looks; 15 s of attention
    assert total["looks"] == 11 and total["delighted_share"] == round(6 / 11, 3)
    assert total["disinterested_share"] == "<5" and total["neutral_share"] == "<5"
    assert total["look_mean_s"] == round(15 / 11, 1)
    ten = next(r for r in screen["rows"] if r["start"] == "2026-11-20T10:00:00+01:00")
    assert ten["looks"] == 11
    # a manager sees stores, not the site's displays
    r = app.test_client().get("/api/v1/sites/mall-aud/reactions", headers={"Authorization": f"Bearer {manager}"})
    assert r.status_code == 403


def test_openapi_lists_the_new_endpoints(cloud):
    app, *_ = cloud
    paths = app.test_client().get("/api/v1/openapi.json").json["paths"]
    assert "/api/v1/stores/{store_id}/audience" in paths and "/api/v1/sites/{site_id}/reactions" in paths


def test_grafana_panels_show_only_bands_of_five_or_more(cloud):
    _, db, _, _ = cloud
    rng = (T0, T0 + timedelta(hours=2))
    values = {"site": "mall-aud", "device": ["shop-cam", "screen-cam"], "store": "shop"}
    seen = {}
    for board in ("store-detail", "displays"):
        path = BOARDS / f"{board}.json"
        for q in panel_queries(path):
            if "footfall_audience" in q.query or "footfall_reactions" in q.query:
                seen[(q.panel, q.ref)] = db.query(render(q, variables(path), values, *rng, interval="1h"))
    ages = seen[("Audience mix by hour: age bands (opt-in)", "A")]
    assert {(r["band"], r["n"]) for r in ages} == {("25-34", 60), ("35-44", 60), ("25-34", 9), ("35-44", 9)}
    delighted = seen[("Reactions (opt-in): share of looks per display", "A")]
    assert [round(r["share"], 3) for r in delighted] == [round(6 / 11, 3)]
    assert seen[("Reactions (opt-in): share of looks per display", "C")] == []  # one disinterested look: hidden


def test_report_figures_read_the_audience(cloud):
    from footfall.cloud.query.report_figures import site_totals
    from footfall.cloud.query.intervals import time_range

    app, *_ = cloud
    rd = app.extensions["footfall.reader"]
    site = rd.dir.site("mall-aud")
    shop = site_totals(rd.dir, site, time_range(site.timezone, "2026-11-20", "2026-11-20"), "hour", "day")["shop"]
    assert shop.age_bands == {"<18": 0, "25-34": 69, "35-44": 69, "65+": 3} and shop.top_age_band == ("35-44", 69)
    assert shop.looks is None  # the screen belongs to no store
