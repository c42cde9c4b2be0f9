"""Pure logic of the reports: config checks, periods, figures with "<5" and comparisons, what is due when, which
SMTP failures are worth a retry."""
from __future__ import annotations

import smtplib
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from footfall.cloud.query.report_figures import Totals, chain_totals
from footfall.cloud.report.figures import Report, rows
from footfall.cloud.report.periods import comparisons, period_of, previous
from footfall.protocol.configfile import ConfigError, load_config

ROOT = Path(__file__).resolve().parents[2]
TZ = ZoneInfo("Europe/Berlin")


def _cfg(tmp_path, reports: dict):
    from footfall.cloud.config import CloudConfig

    base = yaml.safe_load((ROOT / "deploy/examples/cloud.yaml").read_text())
    base["reports"] = reports
    p = tmp_path / "cloud.yaml"
    p.write_text(yaml.safe_dump(base, sort_keys=False))
    return lambda: load_config(p, CloudConfig)


SMTP = {"host": "smtp.example.com", "username": "u", "password": {"file": "/etc/footfall/smtp.password"},
        "sender": "Footfall <reports@example.com>"}


@pytest.mark.parametrize("reports,field,reason", [
    ({"smtp": SMTP, "stores": [{"site": "mall-west", "store": "store-a", "daily": ["not-an-address"]}]},
     "reports.stores.0.daily.0", "not a valid email address"),
    ({"smtp": {**SMTP, "security": "none"}}, "reports.smtp", "only allowed to localhost"),
    ({"smtp": {**SMTP, "password": "inline"}}, "reports.smtp.password", "inline secrets are not allowed"),
    ({"smtp": SMTP, "stores": [{"site": "mall-west", "store": "store-z", "daily": ["a@example.com"]}]},
     "(top)", "store-z is not a store of a configured site"),
    ({"smtp": SMTP, "send_at": "7 am"}, "reports.send_at", "expected a local time HH:MM"),
    ({"smtp": {**SMTP, "sender": "Footfall <nobody>"}}, "reports.smtp.sender", "not a valid email address"),
    ({"smtp": SMTP, "stores": [{"site": "mall-west", "store": "store-a"}, {"site": "mall-west", "store": "store-a"}]},
     "reports", "stores listed twice"),
])
def test_bad_report_config_names_the_field(tmp_path, reports, field, reason):
    with pytest.raises(ConfigError) as e:
        _cfg(tmp_path, reports)()
    assert any(p.field == field and reason in p.reason for p in e.value.problems), e.value.problems


def test_example_config_has_reports_and_defaults(tmp_path):
    from footfall.cloud.config import load

    cfg = load(ROOT / "deploy/examples/cloud.yaml")
    assert cfg.reports.smtp.effective_port == 587
    assert cfg.reports.recipients("mall-west", "store-b", "daily") == ["manager.b@example.com"]
    assert cfg.reports.recipients("mall-west", "store-b", "weekly") == []
    assert cfg.reports.send_time("mall-west", "store-b") == time(21, 30)
    assert cfg.reports.send_time("mall-west", "store-a") == time(7, 0)


def test_periods_and_what_they_compare_with():
    d = date(2026, 3, 31)  # a Tuesday; DST began on Sunday the 29th in Europe
    assert [p.key for p in comparisons(period_of("daily", d))] == ["2026-03-30", "2026-03-24"]
    assert period_of("weekly", d).key == "2026-W14" and period_of("weekly", d).first == date(2026, 3, 30)
    assert period_of("monthly", d).last == date(2026, 3, 31) and comparisons(period_of("monthly", d))[0].key == "2026-02"
    dst = period_of("daily", date(2026, 3, 29)).range(TZ)
    assert dst.end - dst.start == timedelta(hours=23)
    assert previous("weekly", date(2026, 4, 6)).key == "2026-W14" and previous("monthly", date(2026, 4, 1)).key == "2026-03"


def _report(now: Totals, *before: Totals) -> Report:
    start = datetime(2026, 11, 23, tzinfo=TZ)
    return Report("daily", "s", "S", "st", "st", "Monday", start, start + timedelta(days=1), "hour", now,
                  [(f"b{i}", b) for i, b in enumerate(before)])


def test_figures_resting_on_fewer_than_5_visitors_are_suppressed_and_not_compared():
    quiet = Totals(visitors_in=3, unique=3, returning=1, dwell_n=2, dwell_s_sum=300.0, transactions=1)
    busy = Totals(visitors_in=40, unique=30, returning=6, dwell_n=20, dwell_s_sum=6000.0, transactions=9)
    got = {r.key: r for r in rows(_report(quiet, busy))}
    assert got["unique"].cell.display == "<5" and got["unique"].cell.suppressed
    assert got["avg_dwell"].cell.display == "<5" and got["conversion"].cell.display == "<5"
    assert got["returning_share"].cell.display == "<5"
    assert all(c.display == "–" for k in ("unique", "avg_dwell", "conversion") for c in got[k].changes)
    assert got["visitors_in"].cell.display == "3"  # a door tally, shown as the API shows it (kanon.py)
    assert got["visitors_in"].changes[0].display == "▼ 92%"
    back = {r.key: r for r in rows(_report(busy, quiet))}
    assert back["unique"].cell.display == "30" and back["unique"].changes[0].display == "–"  # "<5" before: no %


def test_shares_change_in_points_and_missing_data_is_left_out():
    a = Totals(visitors_in=100, unique=80, returning=20)
    b = Totals(visitors_in=50, unique=50, returning=5)
    got = {r.key: r for r in rows(_report(a, b))}
    assert got["returning_share"].cell.display == "25%" and got["returning_share"].changes[0].display == "▲ 15 pts"
    assert got["visitors_in"].changes[0].display == "▲ 100%"
    assert "conversion" not in got and "display_viewers" not in got and "revenue" not in got  # no POS, no display


def test_chain_roll_up_adds_tallies_but_not_distinct_visitors():
    t0 = datetime(2026, 11, 23, tzinfo=TZ)
    a = Totals(visitors_in=10, unique=8, transactions=2, revenue=10.0, buckets=[(t0, 4), (t0, 6)])
    b = Totals(visitors_in=5, unique=5, transactions=None, buckets=[(t0, 1), (t0, 4)])
    c = chain_totals([a, b])
    assert c.visitors_in == 15 and c.unique is None and c.transactions == 2
    assert [v for _, v in c.buckets] == [5, 10]


def test_due_daily_after_each_stores_local_send_time(tmp_path):
    from footfall.cloud.config import CloudConfig
    from footfall.cloud.report.ledger import Ledger
    from footfall.cloud.report.schedule import due

    cfg = CloudConfig.model_validate({
        "sites": [{"id": "berlin", "timezone": "Europe/Berlin", "stores": [{"id": "a", "zones": ["a-floor"]}]},
                  {"id": "nyc", "timezone": "America/New_York", "stores": [{"id": "b", "zones": ["b-floor"]}]}],
        "state_dir": str(tmp_path),
        "reports": {"smtp": SMTP, "send_at": "07:00", "stores": [
            {"site": "berlin", "store": "a", "daily": ["a@example.com"], "weekly": ["a@example.com"]},
            {"site": "nyc", "store": "b", "daily": ["b@example.com"], "send_at": "06:30"}]}})
    ledger = Ledger(tmp_path)
    at = lambda s: datetime.fromisoformat(s).replace(tzinfo=timezone.utc)  # noqa: E731

    # Mon 23 Nov 05:30 UTC = 06:30 Berlin (not yet 07:00), 00:30 New York
    first = {(d.store, d.kind, d.period.key) for d in due(cfg, ledger, at("2026-11-23T05:30"))}
    assert ("a", "daily", "2026-11-22") not in first and ("b", "daily", "2026-11-22") not in first
    # 06:15 UTC = 07:15 Berlin: Berlin's daily for Sunday and last week's weekly; New York still asleep
    second = {(d.store, d.kind, d.period.key) for d in due(cfg, ledger, at("2026-11-23T06:15"))}
    assert {("a", "daily", "2026-11-22"), ("a", "weekly", "2026-W47")} <= second
    assert ("b", "daily", "2026-11-22") not in second
    ledger.record_sent("berlin", "a", "daily", "2026-11-22", "<m>", ["a@example.com"], 1)
    # 11:45 UTC = 06:45 New York: b's daily is due; a's is recorded and not due again
    third = {(d.store, d.kind, d.period.key) for d in due(cfg, ledger, at("2026-11-23T11:45"))}
    assert ("b", "daily", "2026-11-22") in third and ("a", "daily", "2026-11-22") not in third


@pytest.mark.parametrize("error,retry", [
    (ConnectionRefusedError(), True),
    (TimeoutError(), True),
    (smtplib.SMTPServerDisconnected("gone"), True),
    (smtplib.SMTPDataError(451, b"try later"), True),
    (smtplib.SMTPDataError(554, b"rejected"), False),
    (smtplib.SMTPAuthenticationError(535, b"bad"), False),
    (smtplib.SMTPRecipientsRefused({"a@x": (550, b"no")}), False),
    (smtplib.SMTPRecipientsRefused({"a@x": (452, b"full")}), True),
    (smtplib.SMTPNotSupportedError("STARTTLS extension not supported by server."), False),
])
def test_which_smtp_failures_are_retried(error, retry):
    from footfall.cloud.report.smtp import _transient

    assert _transient(error) is retry


def test_systemd_timer_and_service_send_what_is_due_with_the_smtp_credential():
    import configparser

    def unit(name):
        cp = configparser.ConfigParser(strict=False, interpolation=None)
        cp.optionxform = str
        cp.read(ROOT / "deploy" / "systemd" / name)
        return cp

    timer, svc = unit("footfall-report.timer")["Timer"], unit("footfall-report.service")["Service"]
    assert timer["OnCalendar"] == "*:00/15" and timer["Persistent"] == "true"
    assert svc["Type"] == "oneshot" and svc["ExecStart"].split()[-4:-2] == ["report", "due"]
    text = (ROOT / "deploy/systemd/footfall-report.service").read_text()
    creds = {line.split("=", 1)[1].split(":")[0] for line in text.splitlines() if line.startswith("LoadCredential=")}
    example = yaml.safe_load((ROOT / "deploy/examples/cloud.yaml").read_text())
    assert example["reports"]["smtp"]["password"]["credential"] in creds
    assert example["influx"]["password"]["credential"] in creds
    assert svc["StateDirectory"] == "footfall-cloud" and example["state_dir"] == "/var/lib/footfall-cloud"  # the ledger


def test_audience_lines_only_where_switched_on_and_suppressed_under_5():
    off = Totals(visitors_in=40)
    assert not {"delighted_share", "top_age_band"} & {r.key for r in rows(_report(off, off))}
    now = Totals(visitors_in=40, looks=20, delighted=8, age_bands={"25-34": 12, "35-44": 7})
    before = Totals(visitors_in=40, looks=10, delighted=3, age_bands={"25-34": 3})
    got = {r.key: r for r in rows(_report(now, before))}
    assert got["delighted_share"].cell.display == "40% of 20 looks" and got["delighted_share"].changes[0].display == "–"
    assert got["top_age_band"].cell.display == "25-34 (12 people)"
    back = {r.key: r for r in rows(_report(before, now))}
    assert back["delighted_share"].cell.display == "<5" and back["top_age_band"].cell.display == "<5"
    assert chain_totals([now, before]).age_bands == {"25-34": 15, "35-44": 7}
