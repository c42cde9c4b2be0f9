"""The read layer: the one place InfluxQL is written for the API, the dashboard and the reports.

`Reader(cfg, db)` answers in plain dicts, with k-anonymity applied (kanon.py: "<5" for figures resting on fewer
than 5 visitors). Intervals are in each site's time zone (intervals.py)."""
from __future__ import annotations

from datetime import datetime

from footfall.cloud.config import CloudConfig
from footfall.cloud.store.influx import InfluxError, InfluxV1

from . import audience as _audience
from . import displays as _displays
from . import floor as _floor
from . import fleet as _fleet
from . import gaps as _gaps
from . import pos as _pos
from . import recognition as _recognition
from . import traffic as _traffic
from . import visitors as _visitors
from .intervals import INTERVALS, RangeError, TimeRange, check_interval, time_range
from .pos import UploadError
from .sites import Directory, UnknownError
from .status import DeviceStatus

__all__ = ["Reader", "RangeError", "UnknownError", "UploadError", "TimeRange", "INTERVALS", "time_range", "check_interval"]


class _Answering:
    """The database as the read layer sees it: one the ingest has not made yet holds no data (not an error)."""

    def __init__(self, db: InfluxV1):
        self.db = db
        self.database = db.database

    def query(self, influxql: str) -> list[dict]:
        try:
            return self.db.query(influxql)
        except InfluxError as e:
            if "database not found" in e.reason:
                return []
            raise

    def write(self, lines) -> None:
        self.db.write(lines)


class Reader:
    def __init__(self, cfg: CloudConfig, db: InfluxV1, status_of=None):
        self.cfg = cfg
        self.db = _Answering(db)
        self.dir = Directory(cfg, self.db)
        self.status_of = status_of or (lambda site, device: DeviceStatus())

    # ranges in the right zone: a store's site's, or the site's
    def site_range(self, site_id: str, start: str | None = None, end: str | None = None, **kw) -> TimeRange:
        return time_range(self.dir.site(site_id).timezone, start, end, **kw)

    def store_range(self, store_id: str, start: str | None = None, end: str | None = None, **kw) -> TimeRange:
        return time_range(self.dir.store(store_id).site.timezone, start, end, **kw)

    # traffic
    def site_footfall(self, site_id: str, r: TimeRange, interval: str = "hour") -> dict:
        return _traffic.site_footfall(self.dir, site_id, r, check_interval(interval))

    def store_footfall(self, store_id: str, r: TimeRange, interval: str = "hour") -> dict:
        return _traffic.store_footfall(self.dir, store_id, r, check_interval(interval))

    def site_occupancy(self, site_id: str, now: datetime | None = None) -> dict:
        site = self.dir.site(site_id)
        return {"site": site_id, **_traffic.occupancy(self.dir, site_id, self.dir.entrance_devices(site), None, now)}

    def store_occupancy(self, store_id: str, now: datetime | None = None) -> dict:
        ref = self.dir.store(store_id)
        return {"store": store_id, **_traffic.occupancy(self.dir, ref.site.id, self.dir.store_devices(store_id),
                                                         ref.store.zones, now)}

    def dwell(self, store_id: str, r: TimeRange, interval: str = "hour") -> dict:
        return _traffic.dwell(self.dir, store_id, r, check_interval(interval))

    def floor(self, store_id: str, r: TimeRange, hours: str | None = None) -> dict:
        """The store's floor heatmap (docs/heatmaps.md); hours: local hours of the day, "9-12"."""
        return _floor.floor_grid(self.dir, store_id, r, _floor.parse_hours(hours))

    def entry_exit_times(self, store_id: str, r: TimeRange) -> dict:
        return _traffic.entry_exit_times(self.dir, store_id, r)

    # visitors
    def site_visitors(self, site_id: str, r: TimeRange, interval: str = "day") -> dict:
        return _visitors.visitors(self.dir, site_id, "site", r, check_interval(interval))

    def store_visitors(self, store_id: str, r: TimeRange, interval: str = "day") -> dict:
        ref = self.dir.store(store_id)
        return {"store": store_id, **_visitors.visitors(self.dir, ref.site.id, store_id, r, check_interval(interval))}

    def flows(self, site_id: str, r: TimeRange) -> dict:
        return _visitors.flows(self.dir, site_id, r)

    def displays(self, site_id: str, r: TimeRange, interval: str = "hour") -> dict:
        return _displays.displays(self.dir, site_id, r, check_interval(interval))

    # opt-in audience insights
    def store_audience(self, store_id: str, r: TimeRange, interval: str = "hour") -> dict:
        return _audience.store_audience(self.dir, store_id, r, check_interval(interval))

    def display_reactions(self, site_id: str, r: TimeRange, interval: str = "hour") -> dict:
        return _audience.display_reactions(self.dir, site_id, r, check_interval(interval))

    def gaps(self, site_id: str, r: TimeRange, now: datetime | None = None) -> dict:
        return _gaps.gaps(self.dir, site_id, r, now)

    # POS
    def upload_transactions(self, store_id: str, body: bytes, content_type: str) -> dict:
        return _pos.upload(self.dir, store_id, body, content_type)

    def conversion(self, store_id: str, r: TimeRange, interval: str = "hour") -> dict:
        return _pos.conversion(self.dir, store_id, r, check_interval(interval))

    # fleet
    def fleet(self, site_id: str) -> dict:
        return _fleet.fleet(self.dir, site_id, self.status_of)

    def alerts(self, site_id: str, r: TimeRange, now: datetime | None = None) -> dict:
        return _fleet.alerts(self.dir, site_id, r, self.status_of, now)

    # consented recognition (query/recognition.py)
    def vip_alerts(self, site_id: str, r: TimeRange) -> dict:
        return _recognition.vip_alerts(self.dir, site_id, r)

    def watchlist_alerts(self, site_id: str, r: TimeRange) -> dict:
        return _recognition.watchlist_alerts(self.dir, site_id, r)

    def member(self, site_id: str, ref: str, r: TimeRange) -> dict:
        return _recognition.member(self.dir, site_id, ref, r)

    def staff_presence(self, site_id: str, r: TimeRange, interval: str = "hour") -> dict:
        return _recognition.staff_presence(self.dir, site_id, r, check_interval(interval))

    def store_staff_presence(self, store_id: str, r: TimeRange, interval: str = "hour") -> dict:
        return _recognition.store_staff_presence(self.dir, store_id, r, check_interval(interval))
