"""Sums per interval: InfluxDB sums per 15 minutes or hour in the site's zone, rolled up here (intervals.py)."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timezone

from footfall.cloud.store.influx import InfluxV1

from .influxql import ident
from .intervals import TimeRange, bucket_start, buckets, influx_group


def sums(db: InfluxV1, measurement: str, fields: list[str], where: str, r: TimeRange, interval: str,
         by: tuple[str, ...] = ()) -> dict[tuple, dict[datetime, dict[str, float]]]:
    """{tag values of `by`: {local interval start: {field: sum}}}; only intervals with data."""
    select = ", ".join(f"sum({ident(f)}) AS {ident(f)}" for f in fields)
    group = ", ".join([f"time({influx_group(interval)})", *map(ident, by)])
    q = (f"SELECT {select} FROM {ident(measurement)} WHERE {where} AND {r.influx()} "
         f"GROUP BY {group} fill(none) tz('{r.tz.key}')")
    out: dict[tuple, dict[datetime, dict[str, float]]] = defaultdict(lambda: defaultdict(lambda: dict.fromkeys(fields, 0)))
    for row in db.query(q):
        key = tuple(row.get(t, "") for t in by)
        b = bucket_start(datetime.fromtimestamp(row["time"], timezone.utc), interval, r.tz)
        cell = out[key][b]
        for f in fields:
            if row.get(f) is not None:
                cell[f] += row[f]
    return out


def totals(db: InfluxV1, measurement: str, fields: list[str], where: str, r: TimeRange,
           by: tuple[str, ...] = ()) -> dict[tuple, dict[str, float]]:
    """{tag values of `by`: {field: sum over the range}}."""
    select = ", ".join(f"sum({ident(f)}) AS {ident(f)}" for f in fields)
    q = f"SELECT {select} FROM {ident(measurement)} WHERE {where} AND {r.influx()}"
    if by:
        q += " GROUP BY " + ", ".join(map(ident, by))
    return {tuple(row.get(t, "") for t in by): {f: row.get(f) or 0 for f in fields} for row in db.query(q)}


def table(cells: dict[datetime, dict[str, float]], r: TimeRange, interval: str, fields: list[str]) -> list[dict]:
    """One row per interval of the range (zeros where nothing was counted), start as local ISO time."""
    return [{"start": b.isoformat(), **{f: _num(cells.get(b, {}).get(f, 0)) for f in fields}} for b in buckets(r, interval)]


def merged(per_key: dict[tuple, dict[datetime, dict[str, float]]], fields: list[str]) -> dict[datetime, dict[str, float]]:
    out: dict[datetime, dict[str, float]] = defaultdict(lambda: dict.fromkeys(fields, 0))
    for cells in per_key.values():
        for b, cell in cells.items():
            for f in fields:
                out[b][f] += cell.get(f, 0)
    return out


def _num(v):
    return int(v) if isinstance(v, float) and v.is_integer() else (round(v, 3) if isinstance(v, float) else v)
