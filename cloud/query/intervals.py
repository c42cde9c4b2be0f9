"""Time ranges and intervals in a site's own time zone.

InfluxQL groups by fixed durations (no months, weeks aligned to the Unix epoch's Thursday), so the query layer asks
InfluxDB for 15-minute or hourly sums with `tz()` and rolls them up here into local days, ISO weeks (Monday) and
calendar months; DST days simply have 23 or 25 hourly rows.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Literal
from zoneinfo import ZoneInfo

Interval = Literal["15m", "hour", "day", "week", "month"]
INTERVALS: tuple[str, ...] = ("15m", "hour", "day", "week", "month")
MAX_RANGE_DAYS = 400  # a year and a bit: what a dashboard or an export asks for; beyond it the caller splits


class RangeError(ValueError):
    """A bad time range or interval; `field` names the parameter."""

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class TimeRange:
    """[start, end) in UTC, with the site's zone for bucketing."""

    start: datetime
    end: datetime
    tz: ZoneInfo

    def influx(self) -> str:
        """The WHERE clause part, in RFC 3339 (InfluxQL compares time with string literals)."""
        return f"time >= '{_rfc3339(self.start)}' AND time < '{_rfc3339(self.end)}'"

    @property
    def local_start(self) -> datetime:
        return self.start.astimezone(self.tz)


def _rfc3339(t: datetime) -> str:
    return t.astimezone(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")  # no point dropped


def parse_when(value: str, tz: ZoneInfo, field: str, *, end: bool = False) -> datetime:
    """A date (YYYY-MM-DD: local midnight; as an end, the midnight after it so the day is included) or an ISO
    datetime (naive: local time of the site)."""
    value = value.strip()
    try:
        if len(value) == 10:
            d = date.fromisoformat(value)
            t = datetime.combine(d + timedelta(days=1) if end else d, time(0), tz)
        else:
            t = datetime.fromisoformat(value.replace("Z", "+00:00"))
            if t.tzinfo is None:
                t = t.replace(tzinfo=tz)
    except ValueError:
        raise RangeError(field, f"{value!r} is not a date (YYYY-MM-DD) or an ISO 8601 datetime") from None
    return t.astimezone(timezone.utc)


def time_range(tz_name: str, start: str | None, end: str | None, *, now: datetime | None = None,
               default_days: int = 1) -> TimeRange:
    """The range of `from`/`to` query parameters; without them the last `default_days` local days up to now."""
    tz = ZoneInfo(tz_name)
    now = now or datetime.now(timezone.utc)
    t1 = parse_when(end, tz, "to", end=True) if end else now
    if start:
        t0 = parse_when(start, tz, "from")
    else:
        today = datetime.combine((t1 - timedelta(microseconds=1)).astimezone(tz).date(), time(0), tz)
        t0 = (today - timedelta(days=default_days - 1)).astimezone(timezone.utc)
    if t1 <= t0:
        raise RangeError("to", f"must be after from ({_rfc3339(t0)})")
    if t1 - t0 > timedelta(days=MAX_RANGE_DAYS):
        raise RangeError("from", f"range longer than {MAX_RANGE_DAYS} days")
    return TimeRange(t0, t1, tz)


def check_interval(value: str | None, default: str = "hour") -> str:
    value = value or default
    if value not in INTERVALS:
        raise RangeError("interval", f"{value!r}: one of {', '.join(INTERVALS)}")
    return value


def influx_group(interval: str) -> str:
    """The GROUP BY time() the database sums at: 15 minutes for 15m, hours for everything coarser."""
    return "15m" if interval == "15m" else "1h"


def bucket_start(t: datetime, interval: str, tz: ZoneInfo) -> datetime:
    """The local start of the interval holding t (t aware)."""
    lt = t.astimezone(tz)
    if interval == "15m":
        return lt.replace(minute=lt.minute - lt.minute % 15, second=0, microsecond=0)
    if interval == "hour":
        return lt.replace(minute=0, second=0, microsecond=0)
    d = lt.date()
    if interval == "week":
        d -= timedelta(days=d.weekday())
    elif interval == "month":
        d = d.replace(day=1)
    return datetime.combine(d, time(0), tz)


def buckets(r: TimeRange, interval: str) -> list[datetime]:
    """Every interval start of the range, local, in order (empty intervals included, so charts show zeros)."""
    out: list[datetime] = []
    t = bucket_start(r.start, interval, r.tz)
    while t.astimezone(timezone.utc) < r.end:
        out.append(t)
        t = _next(t, interval, r.tz)
    return out


def _next(t: datetime, interval: str, tz: ZoneInfo) -> datetime:
    if interval in ("15m", "hour"):  # in UTC: a DST change neither repeats nor skips a bucket
        step = timedelta(minutes=15 if interval == "15m" else 60)
        return (t.astimezone(timezone.utc) + step).astimezone(tz)
    d = t.date()
    if interval == "day":
        d += timedelta(days=1)
    elif interval == "week":
        d += timedelta(days=7)
    else:
        d = (d.replace(day=28) + timedelta(days=4)).replace(day=1)
    return datetime.combine(d, time(0), tz)


def label(t: datetime) -> str:
    return t.isoformat()
