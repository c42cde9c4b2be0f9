"""Daily reports from seeded data in a real InfluxDB, delivered to a real SMTP server (aiosmtpd with STARTTLS and
AUTH): MIME structure, every number against what was seeded, the ledger (no second send), retries, isolation."""
from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta, timezone

import pytest
from report_env import DAY, SITE, make_config
from smtp_sink import Sink, start

from footfall.cloud.report.run import run
from footfall.devserver.services import free_port

pytestmark = pytest.mark.integration
PREV, LAST_WEEK = DAY - timedelta(days=1), DAY - timedelta(days=7)


@pytest.fixture
def sink(pki):
    _, crt, key = pki
    s = Sink()
    port = free_port()
    c = start(s, port, crt=crt, key=key)
    s.port = port
    yield s
    c.stop()


def _table(text: str) -> dict[str, list[str]]:
    """The text part's figure lines: label -> [value, change vs previous day, change vs last week]."""
    out = {}
    for line in text.splitlines():
        if ":" in line and "   " in line and not line.startswith(("-", "Daily")):
            label, rest = line.split(":", 1)
            parts = [p.strip() for p in rest.strip().split("   ") if p.strip()]
            out[label] = [parts[0]] + [p.rsplit(" vs ", 1)[0] for p in parts[1:]]
    return out


def _change(now: float, before: float) -> str:
    if before == 0:
        return "new" if now else "= 0%"
    r = (now - before) / before
    return "= 0%" if abs(r) < 0.005 else f"{'▲' if r > 0 else '▼'} {abs(r) * 100:.0f}%"


def _pts(now: float, before: float) -> str:
    d = (now - before) * 100
    n = round(abs(d))
    return "= 0 pts" if abs(d) < 0.5 else f"{'▲' if d > 0 else '▼'} {n} pt{'s' if n != 1 else ''}"


def _dwell(s: float) -> str:
    s = round(s)
    return f"{s // 60} min {s % 60:02d} s" if s >= 60 else f"{s} s"


def test_daily_reports_arrive_over_starttls_with_the_seeded_numbers(seeded, sink, pki, tmp_path):
    db, s = seeded
    cfg = make_config(tmp_path, db, sink.port, pki[0].crt)
    outcome = run(cfg, db, "daily", DAY)
    assert outcome.ok, outcome.failed
    assert sorted(outcome.sent) == [f"{SITE}/store-a/daily/{DAY}", f"{SITE}/store-b/daily/{DAY}"]
    msg = sink.by_report(f"{SITE}/store-a/daily/{DAY}")[0]
    assert msg["X-Sink-Tls"] == "yes" and msg["X-Sink-Auth"] == "True" and sink.logins == 2
    assert msg["To"] == "manager.a@example.com"

    # MIME: multipart/alternative [text/plain, multipart/related [text/html, image/png]], the image by CID
    assert msg.get_content_type() == "multipart/alternative"
    text_part, related = msg.get_payload()
    assert text_part.get_content_type() == "text/plain"
    assert related.get_content_type() == "multipart/related"
    html_part, png = related.get_payload()
    assert html_part.get_content_type() == "text/html" and png.get_content_type() == "image/png"
    cid = png["Content-ID"].strip("<>")
    html = html_part.get_content()
    assert f'src="cid:{cid}"' in html and png.get_content().startswith(b"\x89PNG")
    assert "http://" not in html and "https://" not in html and "<style" not in html  # no external resources

    # every figure against the seeded values, with both comparisons
    rows = _table(text_part.get_content())
    a, p, w = ("store-a", DAY), ("store-a", PREV), ("store-a", LAST_WEEK)
    assert rows["Visitors in"] == [f"{s.line_in[a]:,}", _change(s.line_in[a], s.line_in[p]), _change(s.line_in[a], s.line_in[w])]
    assert rows["Unique visitors"] == [f"{s.unique[a]:,}", _change(s.unique[a], s.unique[p]), _change(s.unique[a], s.unique[w])]
    share = {k: s.returning[k] / s.unique[k] for k in (a, p, w)}
    assert rows["Returning share"] == [f"{share[a] * 100:.0f}%", _pts(share[a], share[p]), _pts(share[a], share[w])]
    hours = s.hourly_in[a]
    peak = max(sorted(hours), key=lambda h: hours[h])
    assert rows["Peak hour"][0] == f"{peak:02d}:00 ({hours[peak]:,} in)"
    assert rows["Max occupancy"][0] == str(s.occupancy_max[a])
    assert rows["Average dwell"][0] == _dwell(s.dwell_s_sum[a] / s.dwell_n[a])
    conv = {k: s.transactions[k] / s.unique[k] for k in (a, p, w)}
    assert rows["Conversion"] == [f"{conv[a] * 100:.0f}%", _pts(conv[a], conv[p]), _pts(conv[a], conv[w])]
    assert rows["Revenue"][0] == f"{s.revenue[a]:,.2f}"
    assert rows["Busiest entrance"][0] == f"store-a-door ({s.line_in[a]:,} in)"
    assert rows["Display viewers"] == [f"{s.viewers[a]:,} of {s.passers[a]:,} passing",
                                       _change(s.viewers[a], s.viewers[p]), _change(s.viewers[a], s.viewers[w])]
    assert rows["Average look"][0] == f"{s.look_s_sum[a] / s.viewers[a]:.1f} s"

    # the data-quality box names the outage and the frozen camera in plain words, local times
    text = text_part.get_content()
    assert "- store-a-cam offline 10:14-11:02, counts may be low" in text  # once, to the minute
    assert "- store-a-cam camera frozen 15:00-15:30, counts may be low" in text
    assert "sent no counts" not in text
    assert "data incomplete" in msg["Subject"]

    # the quiet store: what rests on fewer than 5 visitors is "<5", never the number
    b = ("store-b", DAY)
    quiet = sink.by_report(f"{SITE}/store-b/daily/{DAY}")[0]
    rows_b = _table(quiet.get_payload()[0].get_content())
    assert 0 < s.unique[b] < 5, "the quiet store must rest on fewer than 5 visitors for this test"
    assert rows_b["Unique visitors"][0] == "<5"
    if 0 < s.dwell_n[b] < 5:
        assert rows_b["Average dwell"][0] == "<5"
    assert rows_b["Visitors in"][0] == str(s.line_in[b])  # a door tally, shown as the API shows it (kanon.py)
    assert "every device reported all day" in quiet.get_payload()[0].get_content()
    assert "Display viewers" not in quiet.get_payload()[0].get_content()  # no display: no row


def test_a_second_run_sends_nothing_and_force_sends_again(seeded, sink, pki, tmp_path):
    db, _ = seeded
    cfg = make_config(tmp_path, db, sink.port, pki[0].crt)
    assert len(run(cfg, db, "daily", DAY).sent) == 2
    again = run(cfg, db, "daily", DAY)
    assert again.sent == [] and len(again.skipped) == 2 and len(sink.messages) == 2
    forced = run(cfg, db, "daily", DAY, store="store-a", force=True)
    assert forced.sent == [f"{SITE}/store-a/daily/{DAY}"] and len(sink.messages) == 3


def test_transient_refusals_are_retried_and_delivered_once(seeded, sink, pki, tmp_path):
    db, _ = seeded
    cfg = make_config(tmp_path, db, sink.port, pki[0].crt)
    sink.refuse_next = 2  # 451 twice, then accepted
    outcome = run(cfg, db, "daily", DAY, store="store-a")
    assert outcome.ok and sink.refused == 2
    assert len(sink.by_report(f"{SITE}/store-a/daily/{DAY}")) == 1
    from footfall.cloud.report.ledger import Ledger

    rows = Ledger(cfg.state_dir).sent()
    assert [(r["store"], r["attempts"]) for r in rows] == [("store-a", 3)]


class _StartOnRetry(logging.Handler):
    """Starts the SMTP server when the sender logs its first retry: an outage that ends while we back off."""

    def __init__(self, starter):
        super().__init__(logging.WARNING)
        self.starter = starter
        self.started = threading.Event()

    def emit(self, record):
        if "retrying" in record.getMessage() and not self.started.is_set():
            self.started.set()
            self.starter()


def test_a_server_down_at_first_is_retried_then_delivers_without_duplicate(seeded, pki, tmp_path):
    db, _ = seeded
    _, crt, key = pki
    sink, port = Sink(), free_port()
    cfg = make_config(tmp_path, db, port, pki[0].crt, retry={"attempts": 5, "initial_s": 0.2, "max_s": 1.0})
    controllers = []
    handler = _StartOnRetry(lambda: controllers.append(start(sink, port, crt=crt, key=key)))
    log = logging.getLogger("footfall.cloud.report.smtp")
    log.addHandler(handler)
    try:
        outcome = run(cfg, db, "daily", DAY, store="store-a")
    finally:
        log.removeHandler(handler)
        for c in controllers:
            c.stop()
    assert handler.started.is_set() and outcome.ok
    assert len(sink.by_report(f"{SITE}/store-a/daily/{DAY}")) == 1


def test_one_store_failing_does_not_stop_the_others_and_shows_in_alerts(seeded, sink, pki, tmp_path):
    from footfall.cloud.query.intervals import time_range
    from footfall.cloud.query.report_alerts import report_alerts
    from footfall.cloud.query.sites import Directory
    from footfall.cloud.report.ledger import Ledger

    db, _ = seeded
    cfg = make_config(tmp_path, db, sink.port, pki[0].crt)
    sink.reject = {"manager.a@example.com"}  # 550 for store-a's manager: permanent, not retried
    outcome = run(cfg, db, "daily", DAY)
    assert outcome.sent == [f"{SITE}/store-b/daily/{DAY}"]
    assert [k for k, _ in outcome.failed] == [f"{SITE}/store-a/daily/{DAY}"] and "550" in outcome.failed[0][1]
    assert [f["attempts"] for f in Ledger(cfg.state_dir).failures()] == [1]
    d = Directory(cfg, db)
    # deliveries are stamped with the real clock (the report's period is in the past)
    recent = time_range("UTC", None, None, default_days=2, now=datetime.now(timezone.utc) + timedelta(minutes=1))
    alerts = report_alerts(d, SITE, recent)
    assert [(a["device"], a["ended"]) for a in alerts] == [("report:store-a", None)]
    from footfall.cloud.query.fleet import alerts as fleet_alerts

    assert [a for a in fleet_alerts(d, SITE, recent, lambda *_: None)["alerts"] if a["device"] == "report:store-a"] == alerts

    sink.reject = set()  # the address is fixed: the next run sends what is owed, and the alert ends
    again = run(cfg, db, "daily", DAY)
    assert again.sent == [f"{SITE}/store-a/daily/{DAY}"] and again.skipped == [f"{SITE}/store-b/daily/{DAY}"]
    assert report_alerts(d, SITE, recent)[0]["ended"] is not None


def test_implicit_tls(seeded, pki, tmp_path):
    db, _ = seeded
    _, crt, key = pki
    sink, port = Sink(), free_port()
    c = start(sink, port, crt=crt, key=key, implicit_tls=True)
    try:
        cfg = make_config(tmp_path, db, port, pki[0].crt, security="tls")
        assert run(cfg, db, "daily", DAY, store="store-b").ok
    finally:
        c.stop()
    assert sink.messages[0]["X-Sink-Tls"] == "yes" and sink.logins == 1


def test_report_due_command_sends_yesterdays_summary_once_after_the_local_send_time(seeded, sink, pki, tmp_path):
    import yaml
    from click.testing import CliRunner

    from footfall.cloud.__main__ import main

    db, _ = seeded
    cfg = make_config(tmp_path, db, sink.port, pki[0].crt)
    path = tmp_path / "cloud.yaml"
    path.write_text(yaml.safe_dump(cfg.model_dump(mode="json", exclude_none=True)))
    before = (DAY + timedelta(days=1)).isoformat() + "T05:30"  # 06:30 in Berlin: before the 07:00 send time
    after = (DAY + timedelta(days=1)).isoformat() + "T06:05"   # 07:05 in Berlin
    cli = lambda now: CliRunner().invoke(main, ["report", "due", "--config", str(path), "--now", now])  # noqa: E731
    r = cli(before)
    assert r.exit_code == 0 and f"store-a/daily/{DAY}" not in r.output and not sink.by_report(f"{SITE}/store-a/daily/{DAY}")
    r = cli(after)
    assert r.exit_code == 0, r.output
    assert len(sink.by_report(f"{SITE}/store-a/daily/{DAY}")) == 1 and len(sink.by_report(f"{SITE}/store-b/daily/{DAY}")) == 1
    r = cli(after)  # the next tick: nothing owed any more
    assert r.exit_code == 0 and f"sent     {SITE}/store-a/daily/{DAY}" not in r.output
    assert len(sink.by_report(f"{SITE}/store-a/daily/{DAY}")) == 1


def test_a_store_without_any_counting_unit_says_so(seeded, pki, tmp_path):
    db, _ = seeded
    cfg = make_config(tmp_path, db, 25, pki[0].crt, extra_store={"id": "store-c", "zones": ["store-c-floor"]})
    outcome = run(cfg, db, "daily", DAY, store="store-c", dry_run=tmp_path / "out")
    text = (tmp_path / "out" / SITE / f"store-c-daily-{DAY}.txt").read_text()
    assert outcome.ok and "store-c has no counting unit that ever reported: no figures" in text
    assert "Visitors in:" not in text  # no figure is made up


def test_weekly_sends_the_chain_roll_up_over_every_store_to_its_own_recipients(seeded, sink, pki, tmp_path):
    db, s = seeded
    cfg = make_config(tmp_path, db, sink.port, pki[0].crt, chain=True)  # store-b has no weekly recipient
    week = f"{DAY.isocalendar()[0]}-W{DAY.isocalendar()[1]:02d}"
    outcome = run(cfg, db, "weekly", DAY)
    assert outcome.ok and sorted(outcome.sent) == [f"all/chain/weekly/{week}", f"{SITE}/store-a/weekly/{week}"]
    chain = sink.by_report(f"all/chain/weekly/{week}")[0]
    assert chain["To"] == "analyst@example.com"
    text = chain.get_payload()[0].get_content()
    assert f"- store-b ({SITE}): {s.line_in[('store-b', DAY)]:,}" in text  # in the roll-up all the same
    assert run(cfg, db, "weekly", DAY).sent == []


def test_visitors_counted_on_the_device_where_nothing_is_linked(seeded, pki, tmp_path):
    db, s = seeded
    cfg = make_config(tmp_path, db, 25, pki[0].crt, extra_store={"id": "store-d", "zones": ["store-d-floor"]})
    assert run(cfg, db, "daily", DAY, store="store-d", dry_run=tmp_path / "out").ok
    rows = _table((tmp_path / "out" / SITE / f"store-d-daily-{DAY}.txt").read_text())
    d, p = ("store-d", DAY), ("store-d", PREV)
    assert rows["Unique visitors"][:2] == [f"{s.unique[d]:,}", _change(s.unique[d], s.unique[p])]
