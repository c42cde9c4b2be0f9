"""Shared values of the report tests: the seeded site and day, and a cloud config with SMTP pointing at a sink."""
from __future__ import annotations

from datetime import date, time

SITE, TZ = "mall-west", "Europe/Berlin"
DAY = date(2026, 11, 23)  # a Monday
OUTAGE = (time(10, 14), time(11, 2))
FROZEN = (time(15, 0), time(15, 30), "frozen")


def make_config(tmp_path, db, port: int, ca, *, security: str = "starttls", password: str = "s3cret-pw",
                chain: bool = False, retry: dict | None = None, extra_store: dict | None = None):
    from footfall.bench.report_data import store_config
    from footfall.cloud.config import CloudConfig

    pw = tmp_path / "smtp.password"
    pw.write_text(password + "\n")
    pw.chmod(0o600)
    stores = [{"site": SITE, "store": "store-a", "daily": ["manager.a@example.com"], "weekly": ["manager.a@example.com"]},
              {"site": SITE, "store": "store-b", "daily": ["manager.b@example.com"]}]
    return CloudConfig.model_validate({
        "influx": {"url": db.url, "database": db.database},
        "sites": [{"id": SITE, "name": "Mall West", "timezone": TZ,
                   "stores": [store_config("store-a"), store_config("store-b")] + ([extra_store] if extra_store else [])}],
        "state_dir": str(tmp_path / "state"),
        "reports": {
            "smtp": {"host": "127.0.0.1", "port": port, "security": security, "username": "reports",
                     "password": {"file": str(pw)}, "ca": str(ca), "sender": "Footfall <reports@example.com>",
                     "timeout_s": 10},
            "stores": stores,
            "chain": {"weekly": ["analyst@example.com"]} if chain else {},
            "retry": retry or {"attempts": 4, "initial_s": 0.05, "max_s": 0.2},
        },
    })
