"""Shared fixtures. Integration tests run against real mosquitto and influxd started by deploy/local's code."""
from __future__ import annotations

import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def services(tmp_path_factory):
    from cloud.local_services import LocalServices

    local = LocalServices(tmp_path_factory.mktemp("services"))
    local.up()
    yield local
    local.down()


@pytest.fixture
def influx(services):
    """A fresh database on the shared influxd for one test."""
    from cloud.store.influx import InfluxV1

    db = InfluxV1(services.influxd.url, f"t_{uuid.uuid4().hex[:12]}")
    db.ensure_database()
    yield db
    db._call("POST", "/query", params={"q": f'DROP DATABASE "{db.database}"'})


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data not present at {SHARED_DATA}")
    return SHARED_DATA
