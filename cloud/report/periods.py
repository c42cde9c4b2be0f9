"""Report periods in a site's time zone: the day, ISO week or month holding a date, the periods it is compared
with, and the id the ledger keys it by."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from footfall.cloud.query.intervals import TimeRange


@dataclass(frozen=True)
class Period:
    kind: str           # daily / weekly / monthly
    first: date         # first local day
    last: date          # last local day (inclusive)

    @property
    def key(self) -> str:
        if self.kind == "daily":
            return self.first.isoformat()
        if self.kind == "weekly":
            y, w, _ = self.first.isocalendar()
            return f"{y}-W{w:02d}"
        return self.first.strftime("%Y-%m")

    @property
    def label(self) -> str:
        if self.kind == "daily":
            return self.first.strftime("%A %d %B %Y")
        if self.kind == "weekly":
            y, w, _ = self.first.isocalendar()
            return f"Week {w}, {y} ({self.first.strftime('%d %b')} - {self.last.strftime('%d %b')})"
        return self.first.strftime("%B %Y")

    @property
    def short(self) -> str:
        if self.kind == "daily":
            return self.first.strftime("%a %d %b")
        if self.kind == "weekly":
            return f"week {self.first.isocalendar()[1]}"
        return self.first.strftime("%b %Y")

    @property
    def bucket(self) -> str:
        return "hour" if self.kind == "daily" else "day"

    @property
    def linkable_over(self) -> str:
        return {"daily": "day", "weekly": "week", "monthly": "month"}[self.kind]

    def range(self, tz: ZoneInfo) -> TimeRange:
        start = datetime.combine(self.first, time(0), tz).astimezone(timezone.utc)
        end = datetime.combine(self.last + timedelta(days=1), time(0), tz).astimezone(timezone.utc)
        return TimeRange(start, end, tz)


def period_of(kind: str, d: date) -> Period:
    if kind == "daily":
        return Period(kind, d, d)
    if kind == "weekly":
        first = d - timedelta(days=d.weekday())
        return Period(kind, first, first + timedelta(days=6))
    if kind == "monthly":
        first = d.replace(day=1)
        nxt = (first + timedelta(days=32)).replace(day=1)
        return Period(kind, first, nxt - timedelta(days=1))
    raise ValueError(f"report kind {kind!r}: one of daily, weekly, monthly")


def comparisons(p: Period) -> list[Period]:
    """Daily: the previous day and the same weekday last week (the chart's second line: the last one).
    Weekly: the previous week. Monthly: the previous month."""
    if p.kind == "daily":
        return [period_of("daily", p.first - timedelta(days=1)), period_of("daily", p.first - timedelta(days=7))]
    return [period_of(p.kind, p.first - timedelta(days=1))]


def previous(kind: str, today: date) -> Period:
    """The last complete period before `today` (what a timer sends)."""
    return period_of(kind, today - timedelta(days=1)) if kind == "daily" else period_of(kind, period_of(kind, today).first - timedelta(days=1))
