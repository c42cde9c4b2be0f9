"""Footfall in/out per line, store and site; live occupancy; dwell; entry and exit times."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta, timezone

from .influxql import any_of, lit
from .intervals import TimeRange, time_range
from .kanon import k_count, k_ratio
from .series import merged, sums, table, totals
from .sites import Directory

LINE_FIELDS = ["in", "out"]


def _lines_where(site: str, devices: list[str]) -> str:
    return f"site = {lit(site)} AND {any_of('device', devices)}"


def footfall(d: Directory, site_id: str, devices: list[str], r: TimeRange, interval: str) -> dict:
    """In/out per interval, in total and per line (device, line) of the given devices."""
    per_line = sums(d.db, "footfall_line", LINE_FIELDS, _lines_where(site_id, devices), r, interval, by=("device", "line"))
    rows = table(merged(per_line, LINE_FIELDS), r, interval, LINE_FIELDS)
    return {
        "rows": rows,
        "total": {f: sum(row[f] for row in rows) for f in LINE_FIELDS},
        "lines": [{"device": dev, "line": line, "rows": table(cells, r, interval, LINE_FIELDS)}
                  for (dev, line), cells in sorted(per_line.items())],
    }


def site_footfall(d: Directory, site_id: str, r: TimeRange, interval: str) -> dict:
    site = d.site(site_id)
    return {"site": site_id, "devices": d.entrance_devices(site), **footfall(d, site_id, d.entrance_devices(site), r, interval)}


def store_footfall(d: Directory, store_id: str, r: TimeRange, interval: str) -> dict:
    ref = d.store(store_id)
    devices = d.store_devices(store_id)
    return {"store": store_id, "site": ref.site.id, "devices": devices, **footfall(d, ref.site.id, devices, r, interval)}


def occupancy(d: Directory, site_id: str, devices: list[str], zones: list[str] | None, now: datetime | None = None) -> dict:
    """People inside now: in minus out at the given lines since the local day began (never below 0), and, for a
    store, how many its zones' cameras had in view in their latest interval."""
    site = d.site(site_id)
    now = now or datetime.now(timezone.utc)
    today = time_range(site.timezone, None, None, now=now + timedelta(seconds=1))
    t = totals(d.db, "footfall_line", LINE_FIELDS, _lines_where(site_id, devices), today).get((), {"in": 0, "out": 0})
    out = {"as_of": now.astimezone(today.tz).isoformat(timespec="seconds"), "since": today.local_start.isoformat(),
           "in": int(t["in"]), "out": int(t["out"]), "occupancy": max(0, int(t["in"] - t["out"]))}
    if zones:
        rows = d.db.query(f"SELECT last(occupancy_max) AS n FROM footfall_zone WHERE site = {lit(site_id)} AND "
                          f"{any_of('zone', zones)} AND time > now() - 10m AND time <= now() GROUP BY zone")
        out["in_view"] = sum(int(r["n"]) for r in rows)
        out["in_view_at"] = max((datetime.fromtimestamp(r["time"], timezone.utc).isoformat() for r in rows), default=None)
    return out


ZONE_FIELDS = ["dwell_s_sum", "dwell_n"]


def dwell(d: Directory, store_id: str, r: TimeRange, interval: str) -> dict:
    """Mean time spent in the store's zones by stays that ended in each interval ("<5" under 5 stays)."""
    ref = d.store(store_id)
    cells = merged(sums(d.db, "footfall_zone", ZONE_FIELDS, f"site = {lit(ref.site.id)} AND {any_of('zone', ref.store.zones)}",
                        r, interval), ZONE_FIELDS)
    rows = []
    for row in table(cells, r, interval, ZONE_FIELDS):
        n = row["dwell_n"]
        rows.append({"start": row["start"], "stays": k_count(n),
                     "dwell_mean_s": k_ratio(row["dwell_s_sum"] / n if n else None, n, 1)})
    n = sum(c["dwell_n"] for c in cells.values())
    s = sum(c["dwell_s_sum"] for c in cells.values())
    return {"store": store_id, "rows": rows, "total": {"stays": k_count(n), "dwell_mean_s": k_ratio(s / n if n else None, n, 1)}}


def entry_exit_times(d: Directory, store_id: str, r: TimeRange) -> dict:
    """When people enter and leave the store: entries and exits of its zones by local hour of day over the range."""
    ref = d.store(store_id)
    cells = merged(sums(d.db, "footfall_zone", ["entries", "exits"],
                        f"site = {lit(ref.site.id)} AND {any_of('zone', ref.store.zones)}", r, "hour"), ["entries", "exits"])
    by_hour: dict[int, dict[str, int]] = defaultdict(lambda: {"entries": 0, "exits": 0})
    for b, c in cells.items():
        for f in ("entries", "exits"):
            by_hour[b.hour][f] += int(c[f])
    days = sorted({b.date() for b, c in cells.items() if c["entries"] or c["exits"]})
    first_last = []
    for day in days:  # first entry and last exit hour of each day with any
        hours = sorted(b for b, c in cells.items() if b.date() == day)
        ins = [b for b in hours if cells[b]["entries"]]
        outs = [b for b in hours if cells[b]["exits"]]
        first_last.append({"date": day.isoformat(), "first_entry_hour": ins[0].strftime("%H:00") if ins else None,
                           "last_exit_hour": outs[-1].strftime("%H:00") if outs else None})
    return {"store": store_id, "by_hour": [{"hour": h, **by_hour[h]} for h in range(24)], "days": first_last}
