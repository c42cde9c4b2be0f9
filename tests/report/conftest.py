"""Report tests: one seeded database per module (real influxd), a real SMTP server with STARTTLS and AUTH."""
from __future__ import annotations

import uuid
from datetime import date

import pytest

from report_env import DAY, FROZEN, OUTAGE, SITE, TZ  # noqa: F401


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    from pki import Ca

    ca = Ca(tmp_path_factory.mktemp("smtp-pki"))
    crt, key = ca.issue("localhost", server=True)
    return ca, crt, key


@pytest.fixture(scope="module")
def seeded(influxd):
    """store-a: a busy store, an outage on DAY and a frozen camera; store-b: a quiet one (figures under 5);
    store-d: a unit at privacy level `device` (visitors counted on it, nothing linked in the cloud)."""
    from footfall.bench.report_data import seed_day
    from footfall.cloud.store.influx import InfluxV1

    db = InfluxV1(influxd.url, f"r_{uuid.uuid4().hex[:12]}")
    db.ensure_database()
    s = None
    for d in (DAY, date.fromordinal(DAY.toordinal() - 1), date.fromordinal(DAY.toordinal() - 7)):
        is_day = d == DAY
        s, _ = seed_day(db, SITE, TZ, "store-a", d, seed=1, seeded=s, outage=OUTAGE if is_day else None,
                        camera=FROZEN if is_day else None, display=True)
        s, _ = seed_day(db, SITE, TZ, "store-b", d, scale=0.002, seed=2, seeded=s)
        s, _ = seed_day(db, SITE, TZ, "store-d", d, seed=4, seeded=s, device_visitors=True)  # privacy level device
    yield db, s
    db._call("POST", "/query", params={"q": f'DROP DATABASE "{db.database}"'})
