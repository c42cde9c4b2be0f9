"""Figures for the email reports (cloud/report), for every store of a site at once.

The API's per-store functions answer one store per call, with "<5" already applied. A report needs raw values
(to compare with the previous day and last week before suppressing) and runs for hundreds of stores, so this
module asks InfluxDB once per site and measurement (grouped by device / zone / scope) and splits the answer by
store here. It reuses the read layer's pieces: sums/totals (series.py), intervals, the linkability rules
(visitors.meaning) and the fleet's alerts for the data-quality box. Suppression is left to the caller
(privacy.py), which sees both sides of a comparison.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from footfall.cloud.config import Site

from .influxql import lit
from .intervals import TimeRange, buckets
from .series import sums, totals
from .sites import Directory
from .visitors import meaning


@dataclass(frozen=True)
class Totals:
    """One period of one store (or the chain), raw. None: no data of that kind (no POS, no display, unlinkable)."""

    visitors_in: int | None = None
    unique: int | None = None
    returning: int | None = None
    max_occupancy: int | None = None
    dwell_n: int = 0
    dwell_s_sum: float = 0.0
    transactions: int | None = None
    revenue: float | None = None
    entrances: dict[str, int] = field(default_factory=dict)  # line id ("device/line" if ids repeat) -> people in
    passers: int | None = None
    viewers: int | None = None
    look_s_sum: float = 0.0
    buckets: list[tuple[datetime, int]] = field(default_factory=list)  # local interval start -> people in
    # opt-in audience insights (None: not switched on for the store's devices)
    looks: int | None = None  # looks at displays with a reaction
    delighted: int | None = None
    age_bands: dict[str, int] = field(default_factory=dict)  # band (not "unknown") -> people

    @property
    def delighted_share(self) -> float | None:
        return self.delighted / self.looks if self.looks and self.delighted is not None else None

    @property
    def top_age_band(self) -> tuple[str, int] | None:
        best = max(self.age_bands.items(), key=lambda kv: (kv[1], kv[0]), default=None)
        return best if best and best[1] > 0 else None

    @property
    def avg_dwell_s(self) -> float | None:
        return self.dwell_s_sum / self.dwell_n if self.dwell_n else None

    @property
    def returning_share(self) -> float | None:
        return self.returning / self.unique if self.unique and self.returning is not None else None

    @property
    def conversion_base(self) -> int | None:
        """What conversion divides by, as pos.conversion does: linked unique visitors where the site's linkability
        allows them for the period, else people in through the store's doors."""
        return self.unique if self.unique is not None else self.visitors_in

    @property
    def conversion(self) -> float | None:
        base = self.conversion_base
        return self.transactions / base if self.transactions is not None and base else None

    @property
    def peak(self) -> tuple[datetime, int] | None:
        best = max(self.buckets, key=lambda b: b[1], default=None)
        return best if best and best[1] > 0 else None

    @property
    def busiest_entrance(self) -> tuple[str, int] | None:
        return max(self.entrances.items(), key=lambda kv: (kv[1], kv[0])) if self.entrances else None

    @property
    def avg_look_s(self) -> float | None:
        return self.look_s_sum / self.viewers if self.viewers else None


def store_devices(d: Directory, site: Site) -> dict[str, set[str]]:
    """{store id: devices counting its zones}, from one SHOW SERIES of the site (all time: a device that was off
    the whole period still belongs to its store)."""
    zone_store = {z: st.id for st in site.stores for z in st.zones}
    out: dict[str, set[str]] = {st.id: set() for st in site.stores}
    for row in d.db.query(f"SHOW SERIES FROM footfall_zone WHERE site = {lit(site.id)}"):
        tags = dict(kv.split("=", 1) for kv in row["key"].split(",")[1:])
        store = zone_store.get(tags.get("zone", ""))
        if store:
            out[store].add(tags.get("device", ""))
    return out


def site_totals(d: Directory, site: Site, r: TimeRange, interval: str, period: str,
                devices: dict[str, set[str]] | None = None) -> dict[str, Totals]:
    """{store id: Totals} for every store of the site over r; buckets per `interval` ("hour" or "day");
    `period` ("day", "week", "month") decides whether linked unique visitors are distinct over it."""
    devices = devices if devices is not None else store_devices(d, site)
    dev_store = {dev: st for st, devs in devices.items() for dev in devs}
    where = f"site = {lit(site.id)}"
    grid = buckets(r, interval)

    lines = sums(d.db, "footfall_line", ["in"], where, r, interval, by=("device", "line"))
    per_bucket: dict[str, dict[datetime, float]] = defaultdict(lambda: defaultdict(float))
    entrances: dict[str, dict[str, int]] = defaultdict(dict)
    for (dev, line), cells in lines.items():
        st = dev_store.get(dev)
        if st is None:
            continue
        for b, c in cells.items():
            per_bucket[st][b] += c["in"]
        entrances[st][f"{dev}/{line}"] = int(sum(c["in"] for c in cells.values()))

    zones = totals(d.db, "footfall_zone", ["dwell_n", "dwell_s_sum"], where, r, by=("zone",))
    occ = {row["zone"]: row["m"] for row in d.db.query(
        f"SELECT max(occupancy_max) AS m FROM footfall_zone WHERE {where} AND {r.influx()} GROUP BY zone")}
    distinct, _ = meaning(site.linkability, period)
    vis = totals(d.db, "footfall_visitors", ["unique", "returning"], where, r, by=("scope",)) if distinct else {}
    # privacy level `device`: no linked visitors, each unit counts its own (as visitors.visitors falls back to)
    dev_vis = totals(d.db, "footfall_device_visitors", ["unique", "returning"], where, r, by=("device",)) if distinct else {}
    disp = totals(d.db, "footfall_display", ["passers", "viewers", "look_s_sum"], where, r, by=("device",))
    pos = totals(d.db, "footfall_pos", ["transactions", "revenue"], where, r, by=("store",))
    react = totals(d.db, "footfall_reactions", ["delighted", "neutral", "disinterested"], where, r, by=("device",))
    ages = totals(d.db, "footfall_audience", ["n"], f"{where} AND attribute = 'age' AND band != 'unknown'", r,
                  by=("device", "band"))

    for st, ent in entrances.items():  # name doors by their line id; "device/line" only where two devices share one
        ids = [k.split("/", 1)[1] for k in ent]
        entrances[st] = {(k.split("/", 1)[1] if ids.count(k.split("/", 1)[1]) == 1 else k): v for k, v in ent.items()}
    out: dict[str, Totals] = {}
    for st in site.stores:
        z = [zones[(zn,)] for zn in st.zones if (zn,) in zones]
        o = [occ[zn] for zn in st.zones if occ.get(zn) is not None]
        v = vis.get((st.id,))
        if v is None:
            own = [dev_vis[(dev,)] for dev in sorted(devices.get(st.id, ())) if (dev,) in dev_vis]
            v = {f: sum(o[f] for o in own) for f in ("unique", "returning")} if own else None
        ds = [disp[(dev,)] for dev in sorted(devices.get(st.id, ())) if (dev,) in disp]
        p = pos.get((st.id,))
        rs = [react[(dev,)] for dev in sorted(devices.get(st.id, ())) if (dev,) in react]
        bands: dict[str, int] = defaultdict(int)
        for (dev, band), c in ages.items():
            if dev in devices.get(st.id, ()):
                bands[band] += int(c["n"])
        has_lines = st.id in entrances
        out[st.id] = Totals(
            visitors_in=int(sum(per_bucket[st.id].values())) if has_lines else None,
            unique=int(v["unique"]) if v else (0 if distinct else None),
            returning=int(v["returning"]) if v else (0 if distinct else None),
            # several zones: the sum of each zone's maximum (an upper bound; stores have one floor zone as a rule)
            max_occupancy=int(sum(o)) if o else None,
            dwell_n=int(sum(c["dwell_n"] for c in z)), dwell_s_sum=float(sum(c["dwell_s_sum"] for c in z)),
            transactions=int(p["transactions"]) if p else None, revenue=float(p["revenue"]) if p else None,
            entrances=entrances.get(st.id, {}),
            passers=int(sum(c["passers"] for c in ds)) if ds else None,
            viewers=int(sum(c["viewers"] for c in ds)) if ds else None,
            look_s_sum=float(sum(c["look_s_sum"] for c in ds)),
            buckets=[(b, int(per_bucket[st.id].get(b, 0))) for b in grid],
            looks=int(sum(sum(c.values()) for c in rs)) if rs else None,
            delighted=int(sum(c["delighted"] for c in rs)) if rs else None,
            age_bands=dict(bands),
        )
    return out


def chain_totals(parts: list[Totals]) -> Totals:
    """The roll-up over stores: sums, with buckets added position by position (periods of equal length). Distinct
    visitors do not add across stores (one person in two stores), so the roll-up has none."""
    def add(xs):
        xs = [x for x in xs if x is not None]
        return sum(xs) if xs else None

    n = max((len(p.buckets) for p in parts), default=0)
    ref = next((p.buckets for p in parts if len(p.buckets) == n), [])
    entr: dict[str, int] = {}
    return Totals(
        visitors_in=add(p.visitors_in for p in parts), unique=None, returning=None,
        max_occupancy=None, dwell_n=sum(p.dwell_n for p in parts), dwell_s_sum=sum(p.dwell_s_sum for p in parts),
        transactions=add(p.transactions for p in parts), revenue=add(p.revenue for p in parts), entrances=entr,
        passers=add(p.passers for p in parts), viewers=add(p.viewers for p in parts),
        look_s_sum=sum(p.look_s_sum for p in parts),
        buckets=[(ref[i][0], sum(p.buckets[i][1] for p in parts if i < len(p.buckets))) for i in range(n)],
        looks=add(p.looks for p in parts), delighted=add(p.delighted for p in parts),
        age_bands={b: sum(p.age_bands.get(b, 0) for p in parts) for b in {b for p in parts for b in p.age_bands}},
    )


__all__ = ["Totals", "chain_totals", "site_totals", "store_devices"]
