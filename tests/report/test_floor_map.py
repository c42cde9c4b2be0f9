"""The weekly report's small floor map, from real InfluxDB through the report builder: a second inline image and
a plain-text list of the busiest cells; "<5" cells hatched, not coloured; daily reports carry no map."""
from __future__ import annotations

import email
import email.policy
import io
from datetime import date, datetime, timedelta

import pytest
from PIL import Image

from footfall.cloud.config import CloudConfig
from footfall.cloud.query.sites import Directory
from footfall.cloud.report.floor_map import HATCH, OFF, WIDTH_PX
from footfall.cloud.report.render import to_message
from footfall.cloud.report.run import build_site

pytestmark = pytest.mark.integration
MONDAY = date(2026, 11, 23)
STORE = {"id": "store-a", "zones": ["a-floor"], "floor": {"size_m": [6, 3], "grid": [6, 3], "cameras": [
    {"device": "cam-a", "position": [1, 0], "covers": [[0, 0], [4, 0], [4, 3], [0, 3]]}]}}
BUSY, FEW = 1 * 6 + 1, 0 * 6 + 2  # (col 1, row 1): 8 people; (col 2, row 0): 2 people


def test_weekly_report_shows_the_floor_map(influx, tmp_path):
    t = int(datetime.fromisoformat(f"{MONDAY + timedelta(days=2)}T11:00:00+01:00").timestamp()) * 10**9
    influx.write([f"footfall_floor,cell={BUSY},device=cam-a,site=mall,store=store-a person_s=420.0,tracks=8i {t}",
                  f"footfall_floor,cell={FEW},device=cam-a,site=mall,store=store-a person_s=30.0,tracks=2i {t}"])
    cfg = CloudConfig.model_validate({"influx": {"url": influx.url, "database": influx.database}, "state_dir": str(tmp_path),
                                      "sites": [{"id": "mall", "timezone": "Europe/Berlin", "stores": [STORE]}]})
    d, site = Directory(cfg, influx), cfg.sites[0]
    (weekly,), _ = build_site(cfg, d, site, "weekly", MONDAY + timedelta(days=3), ["store-a"])
    assert weekly.email.floor_png is not None and f"cid:{weekly.email.floor_cid}" in weekly.email.html
    assert "column 2, row 2: 420 person-seconds, 8 people" in weekly.email.text
    assert "row 1" not in weekly.email.text.split("busiest floor cells")[1].split("\n\n")[0]  # the "<5" cell: not listed
    img = Image.open(io.BytesIO(weekly.email.floor_png)).convert("RGB")
    assert img.size == (WIDTH_PX, WIDTH_PX // 2)  # 6 x 3 m: the floor's proportions
    cell = WIDTH_PX // 6

    def colours(col, row):
        return {img.getpixel((col * cell + dx, row * cell + dy)) for dx in range(3, cell - 3) for dy in range(3, cell - 3)}

    busy = colours(1, 1)
    assert len(busy) == 1 and next(iter(busy))[0] > next(iter(busy))[1] + 100  # one shade of red
    assert HATCH in colours(2, 0) and not any(r > g + 50 for r, g, _ in colours(2, 0))  # hatched, no heat
    assert colours(5, 2) == {OFF}  # no camera covers x 4..6
    msg = email.message_from_bytes(bytes(to_message(weekly.report, weekly.email, sender="r@example.com",
                                                    recipients=["m@example.com"], key="k")), policy=email.policy.default)
    assert [p.get_filename() for p in msg.walk() if p.get_content_type() == "image/png"] == ["visitors.png", "floor.png"]
    (daily,), _ = build_site(cfg, d, site, "daily", MONDAY + timedelta(days=2), ["store-a"])
    assert daily.email.floor_png is None and "floor" not in daily.email.text
