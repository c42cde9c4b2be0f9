"""Data gaps: stretches where a device sent no counts. An edge unit reports every interval a frame fell in, zeros
included, and skips intervals it saw nothing in (camera down, unit off): a missing interval is a real gap."""
from __future__ import annotations

from datetime import datetime, timezone

from .influxql import lit
from .intervals import TimeRange
from .sites import Directory

MIN_GAP_INTERVALS = 3  # one or two missing minutes are a restart or a slow network, not worth an alert
COUNT_FIELDS = {"footfall_line": "in", "footfall_zone": "entries", "footfall_display": "passers"}


def device_minutes(d: Directory, site_id: str, r: TimeRange) -> dict[str, list[int]]:
    """{device: sorted Unix minutes holding any counts point}."""
    seen: dict[str, set[int]] = {}
    for m, f in COUNT_FIELDS.items():
        rows = d.db.query(f'SELECT count("{f}") AS n FROM {m} WHERE site = {lit(site_id)} AND {r.influx()} '
                          f"GROUP BY time(1m), device fill(none)")
        for row in rows:
            seen.setdefault(row["device"], set()).add(int(row["time"]))
    return {dev: sorted(ts) for dev, ts in seen.items()}


def find_gaps(minutes: list[int], end: float, step: int = 60) -> list[tuple[int, int | None]]:
    """(first missing second, first second back or None while still missing at `end`) for every run of at least
    MIN_GAP_INTERVALS missing intervals between the first point and `end`."""
    out = []
    for a, b in zip(minutes, minutes[1:]):
        if b - a > MIN_GAP_INTERVALS * step:
            out.append((a + step, b))
    if minutes and end - (minutes[-1] + step) >= MIN_GAP_INTERVALS * step:
        out.append((minutes[-1] + step, None))
    return out


def gaps(d: Directory, site_id: str, r: TimeRange, now: datetime | None = None) -> dict:
    d.site(site_id)
    end = min(r.end, now or datetime.now(timezone.utc)).timestamp()
    out = []
    for dev, minutes in sorted(device_minutes(d, site_id, r).items()):
        for a, b in find_gaps(minutes, end):
            out.append({"device": dev, "started": _iso(a, r), "ended": _iso(b, r) if b else None,
                        "minutes": round(((b or end) - a) / 60)})
    return {"site": site_id, "gaps": out}


def _iso(ts: float, r: TimeRange) -> str:
    return datetime.fromtimestamp(ts, r.tz).isoformat()
