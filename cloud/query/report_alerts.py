"""Email report deliveries that failed (footfall_report, written by cloud/report), as fleet alerts of the same
shape as fleet.alerts(): a failure is open until a later delivery of the same report and period succeeded."""
from __future__ import annotations

from datetime import datetime

from .influxql import lit
from .intervals import TimeRange
from .sites import Directory


def report_alerts(d: Directory, site_id: str, r: TimeRange) -> list[dict]:
    rows = d.db.query(f"SELECT ok, error, period, attempts FROM footfall_report WHERE site = {lit(site_id)} AND "
                      f"{r.influx()} GROUP BY store, report")
    open_: dict[tuple, dict] = {}
    out = []
    for row in sorted(rows, key=lambda x: x["time"]):
        key = (row["store"], row["report"], row["period"])
        at = datetime.fromtimestamp(row["time"], r.tz).isoformat(timespec="seconds")
        if not row["ok"] and key not in open_:
            open_[key] = {"device": f"report:{row['store']}", "kind": f"{row['report']} report {row['period']} not sent",
                          "detail": row["error"], "started": at, "ended": None}
            out.append(open_[key])
        elif row["ok"] and key in open_:
            open_.pop(key)["ended"] = at
    return out
