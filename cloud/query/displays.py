"""Display attention: passers, viewers, the share who looked and how long."""
from __future__ import annotations

from collections.abc import Callable

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


def per_display(d: Directory, site_id: str, measurement: str, fields: list[str], figures: Callable[[dict], dict],
                r: TimeRange, interval: str) -> dict:
    """Each display of the site: `figures` of its range total and of every interval of `measurement`'s fields."""
    d.site(site_id)
    per = sums(d.db, measurement, fields, f"site = {lit(site_id)}", r, interval, by=("device", "display"))
    out = []
    for (device, display), cells in sorted(per.items()):
        rows = table(cells, r, interval, fields)
        tot = {f: sum(row[f] for row in rows) for f in fields}
        out.append({"device": device, "display": display, "total": figures(tot),
                    "rows": [{"start": row["start"], **figures(row)} for row in rows]})
    return {"site": site_id, "displays": out}


def displays(d: Directory, site_id: str, r: TimeRange, interval: str) -> dict:
    return per_display(d, site_id, "footfall_display", FIELDS, _figures, r, interval)
