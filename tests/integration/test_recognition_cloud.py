"""Recognition in the cloud, against the real influxd and a real HTTP webhook receiver: alerts stored (a ref for VIP
only), forwarded to the site's webhooks, and shown only to the role each list is for; staff hours per hour."""
from __future__ import annotations

import json
import time
import threading
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from footfall.cloud.alerts.webhook import Forwarder
from footfall.cloud.api import create_app
from footfall.cloud.api.tokens import TokenStore
from footfall.cloud.config import CloudConfig
from footfall.cloud.ingest.handler import Handler, Outcome
from footfall.cloud.ingest.state import IngestState
from footfall.cloud.query import Reader
from footfall.cloud.store.points import points_for
from footfall.protocol import (
    AlertMessage,
    AuditMessage,
    CountsMessage,
    LineCount,
    StaffPresence,
    ZoneCount,
    encode,
    topic_for,
)

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)  # 10:00 in Berlin


@pytest.fixture
def receiver():
    got: list[tuple[str, dict]] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):
            got.append((self.path, json.loads(self.rfile.read(int(self.headers["Content-Length"])))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *a):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", got
    server.shutdown()


def env(s):
    return {"site": "mall", "device": s[0], "seq": s[1], "ts": T0 + timedelta(seconds=s[1])}


def test_alerts_stored_forwarded_and_shown_only_to_their_role(influx, receiver, tmp_path):
    url, got = receiver
    cfg = CloudConfig.model_validate({
        "sites": [{"id": "mall", "timezone": "Europe/Berlin", "entrances": ["door"],
                   "stores": [{"id": "store-a", "zones": ["a-floor"]}],
                   "alert_webhooks": {"vip": f"{url}/crm", "watchlist": f"{url}/security"}}],
        "state_dir": str(tmp_path)})
    sites = {s.id: s for s in cfg.sites}
    forwarder = Forwarder(sites, tmp_path / "webhooks.sqlite")
    handler = Handler(IngestState(tmp_path / "ingest.sqlite"), sites, lambda b: None,
                      clock=lambda: (T0 + timedelta(hours=3)).timestamp(), on_alert=forwarder.submit)
    messages = [
        AlertMessage(**env(("door", 1)), list="vip", entry="m-0001", seen_at=T0 + timedelta(seconds=1), score=0.81),
        AlertMessage(**env(("cam-a", 2)), list="vip", entry="m-0001", seen_at=T0 + timedelta(minutes=20), score=0.77),
        AlertMessage(**env(("door", 3)), list="watchlist", entry="w-0042", seen_at=T0 + timedelta(minutes=5), score=0.7),
        CountsMessage(**env(("door", 4)), interval_start=T0, interval_s=60,
                      lines=[LineCount(line="main", **{"in": 12}, out=3)], staff=StaffPresence(present_s=1800, people=2)),
        CountsMessage(**env(("cam-a", 5)), interval_start=T0, interval_s=60,
                      zones=[ZoneCount(zone="a-floor", entries=3, exits=1, occupancy_max=2, occupancy_mean=1.0,
                                       staff_wait_s_sum=60.0, staff_wait_n=6, unattended=2)],
                      staff=StaffPresence(present_s=1800, people=1)),
        AuditMessage(**env(("door", 6)), event="match", list="watchlist", ref_tag="0a" * 12, at=T0 + timedelta(minutes=5)),
    ]
    for m in messages:
        assert handler.handle(topic_for("mall", m.device, m.kind), encode(m)) == Outcome.STORED
        influx.write(points_for(m))  # what the ingest's writer sends for it
    assert forwarder.drain(10)

    # webhooks: VIP with its ref to the CRM; the watchlist alert to security alone, with the confirmation rule
    by_path = {}
    for path, body in got:
        by_path.setdefault(path, []).append(body)
    assert [b["ref"] for b in by_path["/crm"]] == ["m-0001", "m-0001"]
    (sec,) = by_path["/security"]
    assert sec["ref"] == "w-0042" and sec["human_confirmation_required"] is True and "confirms" in sec["confirmation"]

    # the database: the VIP ref is there, the watchlist ref is not, anywhere
    rows = influx.query("SELECT * FROM footfall_alerts")
    assert sorted(r.get("entry") or "-" for r in rows) == ["-", "m-0001", "m-0001"]
    dump = json.dumps(influx.query("SELECT * FROM /.*/"))
    assert "w-0042" not in dump
    (audit,) = influx.query("SELECT * FROM footfall_recognition_audit")
    assert (audit["event"], audit["list"], audit["ref_tag"]) == ("match", "watchlist", "0a" * 12)

    tokens = TokenStore(tmp_path / "api.sqlite")
    keys = {r: tokens.create(r, r) for r in ("admin", "analyst", "installer", "security", "crm")}
    keys["manager"] = tokens.create("manager", "manager", ["store-a"])
    app = create_app(cfg, reader=Reader(cfg, influx), tokens=tokens)
    c = app.test_client()
    rng = "from=2026-11-23T09:00&to=2026-11-23T12:00"
    paths = {"watchlist": f"/api/v1/sites/mall/recognition/watchlist?{rng}",
             "vip": f"/api/v1/sites/mall/recognition/vip?{rng}",
             "member": f"/api/v1/sites/mall/recognition/members/m-0001?{rng}"}
    allowed = {"watchlist": {"security"}, "vip": {"crm"}, "member": {"crm"}}
    for what, path in paths.items():
        for role, key in keys.items():
            r = c.get(path, headers={"Authorization": f"Bearer {key}"})
            assert r.status_code == (200 if role in allowed[what] else 403), (what, role, r.status_code)

    h = lambda role: {"Authorization": f"Bearer {keys[role]}"}  # noqa: E731
    wl = c.get(paths["watchlist"], headers=h("security")).json
    assert wl["human_confirmation_required"] is True and len(wl["alerts"]) == 1
    assert wl["alerts"][0]["ref"] is None and wl["alerts"][0]["status"].startswith("unconfirmed")
    member = c.get(paths["member"], headers=h("crm")).json
    (visit,) = member["visits"]  # two sightings 20 minutes apart: one visit
    assert visit["dwell_s"] == pytest.approx(20 * 60 - 1) and visit["stores"] == ["store-a"]
    assert visit["devices"] == ["cam-a", "door"]

    staff = c.get(f"/api/v1/sites/mall/recognition/staff?{rng}", headers=h("analyst")).json
    (first,) = [r for r in staff["rows"] if r["start"] == "2026-11-23T10:00:00+01:00"]  # T0, local
    assert first["staff_hours"] == 1.0 and first["visitors_in"] == 12 and first["visitors_per_staff_hour"] == 12.0
    assert first["wait_for_staff_mean_s"] == 10.0 and first["left_before_staff_came"] == 2

    # per store: its own units' staff (cam-a: half an hour), its doors (none counted here), its zones' waits
    store = c.get(f"/api/v1/stores/store-a/staff?{rng}", headers=h("manager")).json
    (first,) = [r for r in store["rows"] if r["start"] == "2026-11-23T10:00:00+01:00"]
    assert first["staff_hours"] == 0.5 and first["visitors_in"] == 0 and first["visitors_per_staff_hour"] is None
    assert first["wait_for_staff_mean_s"] == 10.0 and first["left_before_staff_came"] == 2


def test_an_alert_waits_for_a_receiver_that_is_down_through_a_restart(tmp_path):
    """The security desk's receiver is down; the ingest restarts meanwhile; the alert still arrives, once."""
    from footfall.cloud.config import Site
    from footfall.devserver.services import free_port

    port = free_port()
    site = Site.model_validate({"id": "mall", "timezone": "UTC",
                                "alert_webhooks": {"watchlist": f"http://127.0.0.1:{port}/security"}})
    alert = AlertMessage(**env(("door", 1)), list="watchlist", entry="w-0042", seen_at=T0, score=0.7)
    first = Forwarder({"mall": site}, tmp_path / "webhooks.sqlite", backoff_s=3600)
    assert first.submit(alert) and first.submit(alert)  # a redelivered alert is queued once
    deadline = time.monotonic() + 10
    while first._failing == set() and time.monotonic() < deadline:  # its first try was refused
        time.sleep(0.02)
    assert first._failing and first.pending() == 1

    got = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):
            got.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *a):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        again = Forwarder({"mall": site}, tmp_path / "webhooks.sqlite")  # the restarted ingest's
        assert again.drain(10)
    finally:
        server.shutdown()
    assert [(b["ref"], b["human_confirmation_required"]) for b in got] == [("w-0042", True)]
