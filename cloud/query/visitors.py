"""Unique and returning visitors, and the store-to-store flow matrix, from the linker's additive per-minute figures.

A visitor is counted once per code period (docs/linking.md), so summing `unique` over an interval gives distinct
visitors only for intervals no longer than the site's `linkability`: per day with daily codes, per week with weekly
codes, per month with monthly ones. Shorter intervals give the visitors first seen in them (new visitors); longer
ones cannot be known, and say so, with the sum over the periods (visitor-days) instead.
"""
from __future__ import annotations

from .influxql import any_of, lit
from .intervals import TimeRange
from .kanon import k_count
from .series import merged, sums, table, totals
from .sites import Directory

FIELDS = ["unique", "returning"]
PERIOD_INTERVAL = {"daily": "day", "weekly": "week", "monthly": "month"}
ORDER = ["15m", "hour", "day", "week", "month"]


def meaning(linkability: str, interval: str) -> tuple[bool, str]:
    """Whether `unique` per interval is a count of distinct visitors, and the plain words for what it is."""
    period = PERIOD_INTERVAL[linkability]
    if ORDER.index(interval) > ORDER.index(period):
        return False, (f"not available: this site's visitor codes rotate {linkability}, so the same person in two "
                       f"{period}s cannot be recognised and distinct visitors per {interval} cannot be known; "
                       f"visitor_{period}s adds up the distinct visitors of each {period} instead")
    if interval == period:
        return True, f"distinct visitors per {period} (codes rotate {linkability})"
    return True, (f"visitors first seen in each {interval}: they add up to the distinct visitors of the {period} "
                  f"(codes rotate {linkability})")


def visitors(d: Directory, site_id: str, scope: str, r: TimeRange, interval: str) -> dict:
    """scope: "site" or a store id of the site."""
    site = d.site(site_id)
    where = f"site = {lit(site_id)} AND scope = {lit(scope)}"
    cells = merged(sums(d.db, "footfall_visitors", FIELDS, where, r, interval), FIELDS)
    basis = "linked across the site's devices"
    if not cells:  # privacy level `device`: each unit counts its own visitors, codes never leave it
        devices = d.entrance_devices(site) if scope == "site" else d.store_devices(scope)
        cells = merged(sums(d.db, "footfall_device_visitors", FIELDS,
                            f"site = {lit(site_id)} AND {any_of('device', devices)}", r, interval), FIELDS)
        if cells:
            basis = f"counted on the device ({', '.join(devices)}): a person seen by two devices counts twice"
    distinct, note = meaning(site.linkability, interval)
    rows = table(cells, r, interval, FIELDS)
    out_rows = []
    for row in rows:
        if distinct:
            out_rows.append({"start": row["start"], "unique": k_count(row["unique"]), "returning": k_count(row["returning"])})
        else:
            out_rows.append({"start": row["start"], "unique": None, "returning": None,
                             f"visitor_{PERIOD_INTERVAL[site.linkability]}s": k_count(row["unique"])})
    t = {f: sum(c[f] for c in cells.values()) for f in FIELDS}  # the query covered just the range
    return {"scope": scope, "site": site_id, "linkability": site.linkability, "distinct": distinct, "note": note,
            "basis": basis,
            "rows": out_rows, "total": {"visitor_periods": k_count(t["unique"]), "returning": k_count(t["returning"])}}


def flows(d: Directory, site_id: str, r: TimeRange) -> dict:
    """Moves between places (store, else zone, else device) over the range, as a matrix; cells under 5 are "<5"."""
    d.site(site_id)
    got = totals(d.db, "footfall_flow", ["moves"], f"site = {lit(site_id)}", r, by=("from", "to"))
    places = sorted({k for pair in got for k in pair})
    matrix = [[k_count(int(got.get((a, b), {"moves": 0})["moves"])) for b in places] for a in places]
    links = [{"from": a, "to": b, "moves": k_count(int(v["moves"]))} for (a, b), v in sorted(got.items()) if v["moves"]]
    return {"site": site_id, "places": places, "matrix": matrix, "links": links}
