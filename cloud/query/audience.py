"""Opt-in audience insights: a store's age / gender mix per interval, and reactions at each display.

Every band is a count of people, so a band of fewer than K is "<5" (kanon.k_count). The totals over the range also
come as `age_merged`: neighbouring age bands joined until each holds at least K people, so a small store still sees a
coarse mix instead of a row of "<5". Reaction shares of a display rest on its looks: a share of fewer than K looks
(or of fewer than K people in that reaction) is "<5"."""
from __future__ import annotations

from footfall.protocol.contract import AGE_BANDS, GENDERS, REACTIONS

from .influxql import any_of, lit
from .intervals import TimeRange
from .kanon import k_count, k_ratio
from .privacy import K, SUPPRESSED
from .series import sums, table
from .displays import per_display
from .sites import Directory

AGE_KEYS = [*AGE_BANDS, "unknown"]


def merge_bands(counts: dict[str, int]) -> list[dict]:
    """Age bands in order, neighbours joined until each group holds K or more (the last short group joins the one
    before it). Unknown stays apart, itself k-suppressed. Zero people: no groups."""
    groups: list[list] = []  # [first band, last band, n]
    for band in AGE_BANDS:
        n = int(counts.get(band, 0))
        if groups and groups[-1][2] == 0:  # an empty band reveals nobody: it joins nothing
            groups[-1] = [band, band, n]
        elif groups and groups[-1][2] < K:
            groups[-1][1], groups[-1][2] = band, groups[-1][2] + n
        else:
            groups.append([band, band, n])
    if groups and groups[-1][2] == 0:
        groups.pop()
    if len(groups) > 1 and groups[-1][2] < K:
        last = groups.pop()
        groups[-1][1], groups[-1][2] = last[1], groups[-1][2] + last[2]
    out = []
    for first, last, n in groups:
        if n == 0:
            continue
        name = first if first == last else _span(first, last)
        out.append({"band": name, "n": k_count(n)})
    return out


def _span(first: str, last: str) -> str:
    lo = "0" if first == "<18" else first.split("-")[0]
    hi = "+" if last == "65+" else "-" + (last.split("-")[1] if "-" in last else "17")
    return f"{lo}{hi}"


def _mix(cell: dict) -> dict:
    ages = {b: int(cell.get(f"age:{b}", 0)) for b in AGE_KEYS}
    genders = {g: int(cell.get(f"gender:{g}", 0)) for g in GENDERS}
    people = sum(ages.values())
    return {"people": k_count(people), "age": {b: k_count(n) for b, n in ages.items()},
            "gender": {g: k_count(n) for g, n in genders.items()}}


def store_audience(d: Directory, store_id: str, r: TimeRange, interval: str) -> dict:
    ref = d.store(store_id)
    devices = d.store_devices(store_id)
    per = sums(d.db, "footfall_audience", ["n"], f"site = {lit(ref.site.id)} AND {any_of('device', devices)}", r,
               interval, by=("attribute", "band"))
    cells: dict = {}
    for (attribute, band), by_time in per.items():
        for start, v in by_time.items():
            cells.setdefault(start, {})[f"{attribute}:{band}"] = v["n"]
    keys = [f"age:{b}" for b in AGE_KEYS] + [f"gender:{g}" for g in GENDERS]
    rows = table(cells, r, interval, keys)
    total = {k: sum(row[k] for row in rows) for k in keys}
    return {"store": store_id, "devices": devices,
            "total": {**_mix(total), "age_merged": merge_bands({b: total[f"age:{b}"] for b in AGE_BANDS})},
            "rows": [{"start": row["start"], **_mix(row)} for row in rows]}


def _reaction_figures(row: dict) -> dict:
    looks = int(sum(row[x] for x in REACTIONS))
    out = {"looks": k_count(looks), "look_mean_s": k_ratio(row["look_s_sum"] / looks if looks else None, looks, 1)}
    for x in REACTIONS:
        n = int(row[x])
        share = None if not looks else (SUPPRESSED if looks < K or 0 < n < K else round(n / looks, 3))
        out[f"{x}_share"] = share
    return out


FIELDS = [*REACTIONS, "look_s_sum"]


def display_reactions(d: Directory, site_id: str, r: TimeRange, interval: str) -> dict:
    return per_display(d, site_id, "footfall_reactions", FIELDS, _reaction_figures, r, interval)
