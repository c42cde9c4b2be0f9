"""Code periods: codes of different periods are unlinkable. Daily at a local hour by default (DST aware)."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo


def period_id(ts: float, timezone: str, period: str = "daily", hour: int = 4) -> str:
    """The period holding ts. A period starts at `hour` local time (of the day, the Monday or the 1st)."""
    local = datetime.fromtimestamp(ts, ZoneInfo(timezone))
    # wall-clock shift: 03:30 on the 23rd with hour=4 still belongs to the 22nd, in summer and winter time alike
    day = (local.replace(tzinfo=None) - timedelta(hours=hour)).date()
    if period == "daily":
        return day.isoformat()
    if period == "weekly":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    if period == "monthly":
        return f"{day.year}-{day.month:02d}"
    raise ValueError(f"unknown period policy {period!r}")
