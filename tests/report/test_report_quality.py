"""The report's cheaper data-gap query says what the fleet's gaps() says, on seeded data in a real influxd."""
from __future__ import annotations

import uuid
from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

import pytest

from footfall.bench.report_data import seed_day, store_config
from footfall.cloud.query import fleet, gaps, report_quality
from footfall.cloud.query.sites import Directory
from footfall.cloud.report.periods import period_of

pytestmark = pytest.mark.integration


def test_data_gaps_and_alerts_match_the_fleets(influxd, tmp_path):
    from footfall.cloud.config import CloudConfig
    from footfall.cloud.store.influx import InfluxV1

    db = InfluxV1(influxd.url, f"q_{uuid.uuid4().hex[:10]}")
    db.ensure_database()
    day = date(2026, 11, 23)
    try:
        seed_day(db, "m", "Europe/Berlin", "a", day, outage=(time(10, 14), time(11, 2)), display=True)
        seed_day(db, "m", "Europe/Berlin", "b", day, outage=(time(19, 0), time(23, 59)), camera=(time(9, 0), time(9, 20), "dark"))
        seed_day(db, "m", "Europe/Berlin", "c", day, outage=(time(0, 0), time(0, 30)))
        cfg = CloudConfig.model_validate({"influx": {"url": db.url, "database": db.database}, "state_dir": str(tmp_path),
                                          "sites": [{"id": "m", "timezone": "Europe/Berlin",
                                                     "stores": [store_config(s) for s in "abc"]}]})
        d = Directory(cfg, db)
        for now in (datetime.now(timezone.utc), datetime(2026, 11, 23, 15, 0, tzinfo=timezone.utc)):
            r = period_of("daily", day).range(ZoneInfo("Europe/Berlin"))
            theirs = gaps.gaps(d, "m", r, now)["gaps"]
            ours = report_quality.data_gaps(d, "m", r, now)
            assert ours == theirs and len(theirs) >= 2
            status = lambda s, dev: fleet.DeviceStatus()  # noqa: E731
            assert report_quality.alerts(d, "m", r, status, now) == fleet.alerts(d, "m", r, status, now)["alerts"]
    finally:
        db._call("POST", "/query", params={"q": f'DROP DATABASE "{db.database}"'})
