"""A store's floor heatmap over a range (docs/heatmaps.md): person-seconds and distinct tracks per cell, optionally
only in some local hours of the day, with the k = 5 rule: a cell resting on fewer than K distinct people is blanked.

`tracks` of a cell sums the edge's first-touch counts, so over a range it is the number of distinct tracks that
stood in the cell (a walker the tracker lost and found again counts twice: the figure errs high, never low). A cell
that has time but fewer than K tracks in the range (someone who first stepped in before the range began) rests on
fewer than K people as well and is blanked too.
"""
from __future__ import annotations

from footfall.cloud.floor.owners import cell_owners

from .influxql import lit
from .intervals import RangeError, TimeRange
from .privacy import K, SUPPRESSED
from .series import sums, totals
from .sites import Directory, UnknownError

FIELDS = ["person_s", "tracks"]


def parse_hours(value: str | None) -> list[int] | None:
    """"9-12" -> 9, 10, 11 (local hours, end excluded); "18" -> 18; "22-2" wraps past midnight."""
    if not value:
        return None
    try:
        a, _, b = value.partition("-")
        lo, hi = int(a), int(b) if b else int(a) + 1
    except ValueError:
        raise RangeError("hours", f"{value!r}: an hour (0-23) or a range like 9-12") from None
    if not (0 <= lo <= 23 and 0 <= hi <= 24) or lo == hi:
        raise RangeError("hours", f"{value!r}: hours 0-23, and a range of at least one hour")
    return list(range(lo, hi)) if lo < hi else [*range(lo, 24), *range(0, hi)]


def floor_grid(d: Directory, store_id: str, r: TimeRange, hours: list[int] | None = None) -> dict:
    ref = d.store(store_id)
    plan = ref.store.floor
    if plan is None:
        raise UnknownError("store", f"{store_id} (it has no floor plan)")
    where = f"site = {lit(ref.site.id)} AND store = {lit(store_id)}"
    if hours is None:
        per_cell = totals(d.db, "footfall_floor", FIELDS, where, r, by=("cell",))
    else:
        wanted = set(hours)
        per_cell = {}
        for key, buckets in sums(d.db, "footfall_floor", FIELDS, where, r, "hour", by=("cell",)).items():
            acc = dict.fromkeys(FIELDS, 0.0)
            for start, v in buckets.items():
                if start.hour in wanted:
                    for f in FIELDS:
                        acc[f] += v[f]
            per_cell[key] = acc
    cols, _ = plan.grid
    cells, shown = [], []
    for (cell,), v in sorted(per_cell.items(), key=lambda kv: int(kv[0][0] or 0)):
        i, seconds, tracks = int(cell), float(v["person_s"] or 0), int(v["tracks"] or 0)
        if seconds <= 0 and tracks == 0:
            continue
        blank = tracks < K
        cells.append({"cell": i, "col": i % cols, "row": i // cols,
                      "person_s": SUPPRESSED if blank else round(seconds, 1),
                      "tracks": SUPPRESSED if blank else tracks})
        if not blank:
            shown.append(seconds)
    owners = cell_owners(plan)
    return {"store": store_id, "from": r.start.astimezone(r.tz).isoformat(), "to": r.end.astimezone(r.tz).isoformat(),
            "hours": hours, "grid": list(plan.grid), "size_m": list(plan.size_m),
            "plan": plan.image is not None, "max_person_s": round(max(shown), 1) if shown else 0,
            "covered": sorted(owners), "cells": cells}
