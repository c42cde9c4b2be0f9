"""Pure logic of the read layer: intervals in a site's zone, what visitor counts mean per linkability, gaps, alerts,
k-anonymity of cells."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from footfall.cloud.query.fleet import health_alerts
from footfall.cloud.query.gaps import find_gaps
from footfall.cloud.query.intervals import RangeError, buckets, check_interval, time_range
from footfall.cloud.query.kanon import k_count, k_ratio
from footfall.cloud.query.status import DeviceStatus
from footfall.cloud.query.visitors import meaning


def test_hours_of_a_dst_day_and_local_days():
    r = time_range("Europe/Berlin", "2026-10-25", "2026-10-25")  # clocks go back: 25 hours
    hours = buckets(r, "hour")
    assert len(hours) == 25 and len({h.isoformat() for h in hours}) == 25
    assert [b.isoformat() for b in buckets(r, "day")] == ["2026-10-25T00:00:00+02:00"]
    spring = time_range("Europe/Berlin", "2026-03-29", "2026-03-29")
    assert len(buckets(spring, "hour")) == 23 and len(buckets(spring, "15m")) == 92


def test_weeks_start_monday_and_months_are_calendar_months():
    r = time_range("America/New_York", "2026-01-01", "2026-03-31")
    weeks = buckets(r, "week")
    assert all(w.weekday() == 0 for w in weeks) and weeks[0].date().isoformat() == "2025-12-29"
    assert [m.date().isoformat() for m in buckets(r, "month")] == ["2026-01-01", "2026-02-01", "2026-03-01"]
    assert r.start == datetime(2026, 1, 1, 5, tzinfo=timezone.utc)  # local midnight


@pytest.mark.parametrize("start,end,field", [("yesterday", None, "from"), ("2026-01-02", "2026-01-01", "to"),
                                             ("2020-01-01", "2026-01-01", "from"), (None, "13/01/2026", "to")])
def test_bad_ranges_name_the_parameter(start, end, field):
    with pytest.raises(RangeError) as e:
        time_range("Europe/Berlin", start, end)
    assert e.value.field == field


def test_interval_must_be_known():
    assert check_interval(None) == "hour"
    with pytest.raises(RangeError) as e:
        check_interval("fortnight")
    assert e.value.field == "interval"


def test_default_range_is_today_in_the_sites_zone():
    now = datetime(2026, 11, 20, 23, 30, tzinfo=timezone.utc)  # already the 21st in Berlin
    r = time_range("Europe/Berlin", None, None, now=now)
    assert r.start == datetime(2026, 11, 20, 23, 0, tzinfo=timezone.utc) and r.end == now


def test_visitors_per_interval_say_what_linkability_allows():
    assert meaning("daily", "day")[0] and meaning("weekly", "week")[0] and meaning("monthly", "month")[0]
    assert meaning("daily", "hour")[0] and "first seen" in meaning("daily", "hour")[1]
    ok, note = meaning("daily", "week")
    assert not ok and "cannot be known" in note and "rotate daily" in note
    assert not meaning("weekly", "month")[0]


def test_gaps_need_three_missing_intervals_and_run_to_the_end():
    minutes = [0, 60, 120, 300, 360, 720]  # 180..240 missing (2: not a gap), 420..660 missing (5: a gap)
    assert find_gaps(minutes, end=780) == [(420, 720)]
    assert find_gaps(minutes, end=1200) == [(420, 720), (780, None)]
    assert find_gaps([], end=1000) == []


def test_health_alerts_runs_and_silences():
    pts = [{"time": t, "camera": "ok", "clock_synced": True} for t in range(0, 300, 30)]
    pts[3]["camera"] = pts[4]["camera"] = "dark"
    pts[5]["camera"] = "moved"
    pts[8]["clock_synced"] = False
    pts += [{"time": 600 + t, "camera": "ok", "clock_synced": True} for t in range(0, 90, 30)]  # silent 270..600
    got = {(a["kind"], a["started"], a["ended"]) for a in health_alerts("d", pts, end=700)}
    assert got == {("camera dark", 90, 150), ("camera moved", 150, 180), ("clock not synced", 240, 270),
                   ("device offline", 300, 600)}
    late = health_alerts("d", pts, end=2000)  # nothing heard since 660
    assert ("device offline", 690, None) in {(a["kind"], a["started"], a["ended"]) for a in late}
    gone = health_alerts("d", pts, end=700, status=DeviceStatus("offline", datetime.fromtimestamp(690, timezone.utc)))
    assert [a for a in gone if a["ended"] is None and a["kind"] == "device offline"]


def test_cells_under_five_visitors_are_hidden():
    assert [k_count(n) for n in (0, 1, 4, 5, 12)] == [0, "<5", "<5", 5, 12]
    assert k_ratio(30.0, 4) == "<5" and k_ratio(30.0, 5) == 30.0 and k_ratio(None, 0) is None
