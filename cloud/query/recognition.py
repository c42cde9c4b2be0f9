"""Consented recognition in the read layer: VIP alerts and a member's visit history (crm role), watchlist alerts
(security role), staff presence per hour against the visitors at the entrances (site figures).

InfluxDB holds a VIP alert's opaque ref (the member consented to exactly this link) and no ref for a watchlist alert.
"""
from __future__ import annotations

from datetime import datetime, timezone

from .influxql import any_of, ident, lit
from .intervals import TimeRange
from .kanon import k_ratio
from .series import merged, sums, table
from .sites import Directory
from .traffic import footfall

VISIT_GAP_S = 2 * 3600  # sightings of one member at one site further apart than this are two visits
HUMAN_CONFIRMATION = ("a match is a suggestion, not a finding: a trained person confirms it (against the record the "
                      "entry rests on, in person) before anything is done; a wrong one goes back to the unit as "
                      "`footfall-edge feedback --ref REF --wrong`")


def _alerts(d: Directory, where: str, r: TimeRange) -> list[dict]:
    q = (f"SELECT * FROM footfall_alerts WHERE {where} AND {r.influx()} GROUP BY {ident('site')}, {ident('device')}, "
         f"{ident('list')}")
    return sorted(d.db.query(q), key=lambda row: row["time"])


def _iso(t: float, tz) -> str:
    return datetime.fromtimestamp(t, timezone.utc).astimezone(tz).isoformat()


def vip_alerts(d: Directory, site_id: str, r: TimeRange) -> dict:
    d.site(site_id)
    rows = _alerts(d, f"site = {lit(site_id)} AND {ident('list')} = 'vip'", r)
    return {"site": site_id, "alerts": [{"seen_at": _iso(a["time"], r.tz), "device": a["device"], "ref": a.get("entry"),
                                         "score": a["score"]} for a in rows]}


def watchlist_alerts(d: Directory, site_id: str, r: TimeRange) -> dict:
    d.site(site_id)
    rows = _alerts(d, f"site = {lit(site_id)} AND {ident('list')} = 'watchlist'", r)
    return {"site": site_id, "human_confirmation_required": True, "confirmation": HUMAN_CONFIRMATION,
            "alerts": [{"seen_at": _iso(a["time"], r.tz), "device": a["device"], "score": a["score"],
                        "status": "unconfirmed: a person must confirm", "ref": None} for a in rows]}


def store_of_device(d: Directory, site_id: str, device: str) -> str | None:
    """The store whose zones this device counts (its footfall_zone points), if any."""
    rows = d.db.query(f'SHOW TAG VALUES FROM footfall_zone WITH KEY = "zone" WHERE site = {lit(site_id)} '
                      f'AND device = {lit(device)}')
    zones = {row["value"] for row in rows}
    return next((s.id for s in d.site(site_id).stores if zones & set(s.zones)), None)


def member(d: Directory, site_id: str, ref: str, r: TimeRange) -> dict:
    """A consenting member's visits: sightings (VIP alerts) of one site less than VISIT_GAP_S apart are one visit;
    its dwell runs from the first sighting to the last (0 when seen once: one unit at the door)."""
    d.site(site_id)
    rows = _alerts(d, f"site = {lit(site_id)} AND {ident('list')} = 'vip' AND entry = {lit(ref)}", r)
    visits: list[dict] = []
    for a in rows:
        v = visits[-1] if visits else None
        if v is None or v["site"] != a["site"] or a["time"] - v["_last"] > VISIT_GAP_S:
            v = {"site": a["site"], "_first": a["time"], "_last": a["time"], "devices": set()}
            visits.append(v)
        v["_last"] = a["time"]
        v["devices"].add(a["device"])
    out = []
    for v in visits:
        stores = sorted({s for dev in v["devices"] if (s := store_of_device(d, v["site"], dev))})
        out.append({"site": v["site"], "arrived": _iso(v["_first"], r.tz), "last_seen": _iso(v["_last"], r.tz),
                    "dwell_s": round(v["_last"] - v["_first"], 1), "stores": stores, "devices": sorted(v["devices"])})
    return {"site": site_id, "ref": ref, "visits": out, "stores": sorted({s for v in out for s in v["stores"]}),
            "dwell_s_total": round(sum(v["dwell_s"] for v in out), 1)}


def staff_presence(d: Directory, site_id: str, r: TimeRange, interval: str) -> dict:
    """Staff hours per interval (enrolled staff on camera, summed over the site's units; never who), the visitors
    coming in at the entrances per staff hour, and how long customers waited in a zone until staff were there (mean
    over those staff reached; "<5" below 5 of them) and how many left before."""
    site = d.site(site_id)
    return {"site": site_id, "rows": _staff_rows(d, site_id, None, d.entrance_devices(site), None, r, interval)}


def store_staff_presence(d: Directory, store_id: str, r: TimeRange, interval: str) -> dict:
    """The same for one store: its units' staff hours, the visitors in through its doors, the waits in its zones."""
    ref = d.store(store_id)
    devices = d.store_devices(store_id)
    rows = _staff_rows(d, ref.site.id, devices, devices, list(ref.store.zones), r, interval)
    return {"store": store_id, "site": ref.site.id, "rows": rows}


def _staff_rows(d: Directory, site_id: str, staff_devices: list[str] | None, door_devices: list[str],
                zones: list[str] | None, r: TimeRange, interval: str) -> list[dict]:
    where = f"site = {lit(site_id)}"
    staff_where = where + (f" AND {any_of('device', staff_devices)}" if staff_devices is not None else "")
    staff = merged(sums(d.db, "footfall_staff", ["present_s", "people"], staff_where, r, interval), ["present_s", "people"])
    staff_rows = table(staff, r, interval, ["present_s", "people"])
    visitors = footfall(d, site_id, door_devices, r, interval)["rows"]
    wait_fields = ["staff_wait_s_sum", "staff_wait_n", "unattended"]
    zone_where = where + (f" AND {any_of('zone', zones)}" if zones is not None else "")
    waits = table(merged(sums(d.db, "footfall_zone", wait_fields, zone_where, r, interval), wait_fields),
                  r, interval, wait_fields)
    rows = []
    for s, v, w in zip(staff_rows, visitors, waits):
        hours, n = s["present_s"] / 3600, w["staff_wait_n"]
        rows.append({"start": s["start"], "staff_hours": round(hours, 3), "visitors_in": v["in"],
                     "visitors_per_staff_hour": k_ratio(v["in"] / hours if hours else None, v["in"], 1),
                     "wait_for_staff_mean_s": k_ratio(w["staff_wait_s_sum"] / n if n else None, n, 1),
                     "left_before_staff_came": w["unattended"]})
    return rows
