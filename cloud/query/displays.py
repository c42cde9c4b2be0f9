"""Display attention: passers, viewers, the share who looked and how long."""
from __future__ import annotations

from .influxql import lit
from .intervals import TimeRange
from .kanon import k_count, k_ratio
from .series import sums, table
from .sites import Directory

FIELDS = ["passers", "viewers", "look_s_sum"]


def _figures(row: dict) -> dict:
    p, v = row["passers"], row["viewers"]
    return {"passers": int(p), "viewers": k_count(int(v)),
            "attention_rate": k_ratio(v / p if p else None, v), "look_mean_s": k_ratio(row["look_s_sum"] / v if v else None, v, 1)}


def displays(d: Directory, site_id: str, r: TimeRange, interval: str) -> dict:
    d.site(site_id)
    per = sums(d.db, "footfall_display", FIELDS, f"site = {lit(site_id)}", r, interval, by=("device", "display"))
    out = []
    for (device, display), cells in sorted(per.items()):
        rows = table(cells, r, interval, FIELDS)
        tot = {f: sum(row[f] for row in rows) for f in FIELDS}
        out.append({"device": device, "display": display, "total": _figures(tot),
                    "rows": [{"start": row["start"], **_figures(row)} for row in rows]})
    return {"site": site_id, "displays": out}
