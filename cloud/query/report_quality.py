"""The fleet's alerts over a period, as fleet.alerts() gives them, with the data gaps found by InfluxDB itself.

gaps.device_minutes() reads every minute of every device (GROUP BY time(1m)) and finds the holes in Python: for a
day of a 20-store mall that is 57,600 rows, a fifth of the time of a daily report run. Here InfluxDB returns only the
holes: `elapsed()` between a device's consecutive points, filtered in a subquery to those longer than
gaps.MIN_GAP_INTERVALS minutes, plus each device's last point for a gap still open at the end. Same rule, same
output (tests/report/test_report_quality.py compares the two on seeded data)."""
from __future__ import annotations

from datetime import datetime, timezone

from .fleet import device_alerts
from .gaps import COUNT_FIELDS, MIN_GAP_INTERVALS
from .influxql import lit
from .intervals import TimeRange
from .sites import Directory
from .status import DeviceStatus

STEP_S = 60  # the counts interval gaps.find_gaps assumes


def _missing(d: Directory, site_id: str, r: TimeRange, end: float) -> dict[str, list[list[tuple[float, float | None]]]]:
    """{device: [gaps of one measurement, ...]} for every measurement the device wrote in the range."""
    out: dict[str, list[list[tuple[float, float | None]]]] = {}
    where = f"site = {lit(site_id)} AND {r.influx()}"
    for m, f in COUNT_FIELDS.items():
        last = {row["device"]: row["time"] for row in d.db.query(f'SELECT last("{f}") FROM {m} WHERE {where} GROUP BY device')}
        holes: dict[str, list[tuple[float, float | None]]] = {dev: [] for dev in last}
        rows = d.db.query(f'SELECT e FROM (SELECT elapsed("{f}", 1s) AS e FROM {m} WHERE {where} GROUP BY device) '
                          f"WHERE e > {MIN_GAP_INTERVALS * STEP_S} GROUP BY device")
        for row in rows:
            holes.setdefault(row["device"], []).append((row["time"] - row["e"] + STEP_S, row["time"]))
        for dev, t in last.items():
            if end - (t + STEP_S) >= MIN_GAP_INTERVALS * STEP_S:
                holes[dev].append((t + STEP_S, None))
        for dev, h in holes.items():
            out.setdefault(dev, []).append(sorted(h, key=lambda g: g[0]))
    return out


def _intersect(a: list[tuple[float, float | None]], b: list[tuple[float, float | None]]) -> list[tuple[float, float | None]]:
    """Stretches missing from both (a device is silent only when none of its measurements has a point)."""
    inf = float("inf")
    out = []
    for a0, a1 in a:
        for b0, b1 in b:
            lo, hi = max(a0, b0), min(a1 or inf, b1 or inf)
            if lo < hi:
                out.append((lo, None if hi == inf else hi))
    return out


def data_gaps(d: Directory, site_id: str, r: TimeRange, now: datetime | None = None) -> list[dict]:
    """What gaps.gaps(...)["gaps"] returns."""
    end = min(r.end, now or datetime.now(timezone.utc)).timestamp()
    out = []
    for dev, per_measurement in sorted(_missing(d, site_id, r, end).items()):
        holes = per_measurement[0]
        for other in per_measurement[1:]:
            holes = _intersect(holes, other)
        for a, b in holes:
            out.append({"device": dev, "started": _local(a, r), "ended": _local(b, r) if b else None,
                        "minutes": round(((b or end) - a) / 60)})
    return out


def alerts(d: Directory, site_id: str, r: TimeRange, status_of=lambda s, dev: DeviceStatus(),
           now: datetime | None = None) -> list[dict]:
    """fleet.alerts(...)["alerts"] without the reports' own, the data gaps from data_gaps()."""
    now = now or datetime.now(timezone.utc)
    out = device_alerts(d, site_id, r, status_of, now, data_gaps(d, site_id, r, now))
    out.sort(key=lambda a: (a["started"], a["device"], a["kind"]))
    return out


def _local(ts: float, r: TimeRange) -> str:
    return datetime.fromtimestamp(ts, r.tz).isoformat()
