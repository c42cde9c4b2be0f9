"""Fleet: each device's latest health and status, and alerts (device offline, camera not ok, data gap, clock not
synced) with when they started and ended, derived from the health history and the counts' gaps."""
from __future__ import annotations

import statistics
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from .gaps import gaps
from .influxql import lit
from .intervals import TimeRange
from .report_alerts import report_alerts
from .sites import Directory
from .status import DeviceStatus

OFFLINE_AFTER_REPORTS = 3  # health silent for this many report intervals: offline
LOOKBACK = "30d"


def report_interval(times: list[float]) -> float:
    """The device's health interval: the median spacing of its reports (30 s by default on the edge)."""
    steps = [b - a for a, b in zip(times, times[1:]) if b > a]
    return max(5.0, statistics.median(steps)) if steps else 30.0


def health_alerts(device: str, points: list[dict], end: float, status: DeviceStatus | None = None) -> list[dict]:
    """points: {time, camera, clock_synced} in time order. Runs of a bad camera state or an unsynced clock, and
    silences longer than OFFLINE_AFTER_REPORTS intervals (ongoing at `end` when the device has not been heard since)."""
    out: list[dict] = []
    times = [p["time"] for p in points]
    step = report_interval(times)

    def runs(kind: str, bad) -> None:
        open_at = None
        for p in points:
            b = bad(p)
            if b and open_at is None:
                open_at = (p["time"], b)
            elif open_at and b != open_at[1]:
                out.append(_alert(device, open_at[1], open_at[0], p["time"]))
                open_at = (p["time"], b) if b else None
        if open_at:
            out.append(_alert(device, open_at[1], open_at[0], None))

    runs("camera", lambda p: f"camera {p['camera']}" if p.get("camera") not in (None, "ok") else None)
    runs("clock", lambda p: "clock not synced" if p.get("clock_synced") is False else None)
    for a, b in zip(times, times[1:]):
        if b - a > OFFLINE_AFTER_REPORTS * step:
            out.append(_alert(device, "device offline", a + step, b))
    silent = times and end - times[-1] > OFFLINE_AFTER_REPORTS * step
    if silent or (status and status.state == "offline" and (not times or status.since.timestamp() >= times[-1])):
        start = times[-1] + step if times else status.since.timestamp()
        out.append(_alert(device, "device offline", start, None))
    return out


def _alert(device: str, kind: str, started: float, ended: float | None) -> dict:
    return {"device": device, "kind": kind, "started": started, "ended": ended}


def fleet(d: Directory, site_id: str, status_of) -> dict:
    """status_of(site, device) -> DeviceStatus (the broker's retained status; "unknown" without a watcher)."""
    tz = ZoneInfo(d.site(site_id).timezone)  # the site's clock, as the alerts beside it on the fleet page
    where = f"site = {lit(site_id)} AND time > now() - {LOOKBACK}"
    last = {r["device"]: r for r in d.db.query(f"SELECT last(*) FROM footfall_health WHERE {where} GROUP BY device")}
    seen = {r["device"]: r["time"] for r in d.db.query(f"SELECT last(uptime_s) FROM footfall_health WHERE {where} GROUP BY device")}
    day = {r["device"]: r for r in d.db.query(
        f"SELECT sum(outbox_dropped) AS outbox_dropped, sum(dropped_frames) AS dropped_frames FROM footfall_health "
        f"WHERE site = {lit(site_id)} AND time > now() - 1d GROUP BY device")}
    counts = {}  # the latest counts interval of each device: a unit can report health and still count nothing
    for m, f in (("footfall_line", "in"), ("footfall_zone", "entries"), ("footfall_display", "passers")):
        for r in d.db.query(f'SELECT last("{f}") FROM {m} WHERE {where} GROUP BY device'):
            counts[r["device"]] = max(counts.get(r["device"], 0), r["time"])
    devices = []
    for dev in sorted(set(d.devices(site_id)) | set(last)):
        h = {k.removeprefix("last_"): v for k, v in last.get(dev, {}).items() if k.startswith("last_")}
        st: DeviceStatus = status_of(site_id, dev)
        devices.append({
            "site": site_id, "device": dev,
            "last_seen": _iso(seen.get(dev), tz), "last_counts": _iso(counts.get(dev), tz),
            "status": st.state, "status_since": _iso(st.since.timestamp() if st.since else None, tz),
            "version": st.version,
            "fps": h.get("fps"), "uptime_s": h.get("uptime_s"), "camera": h.get("camera"),
            "clock_synced": h.get("clock_synced"), "cpu_temp_c": h.get("cpu_temp_c"),
            "stage_ms": {k.removesuffix("_ms"): v for k, v in h.items() if k.endswith("_ms") and v is not None},
            "outbox_depth": h.get("outbox_depth"),
            "outbox_dropped_24h": int((day.get(dev) or {}).get("outbox_dropped") or 0),
            "dropped_frames_24h": int((day.get(dev) or {}).get("dropped_frames") or 0),
            "models": st.models,
        })
    return {"site": site_id, "devices": devices}


def device_alerts(d: Directory, site_id: str, r: TimeRange, status_of, now: datetime, data_gaps: list[dict]) -> list[dict]:
    """Every device's health alerts in the range (offline, camera not ok, clock not synced) and the given data gaps,
    as alert rows in no particular order; fleet.alerts() and the reports' data-quality box share it."""
    end = min(r.end, now).timestamp()
    rows = d.db.query(f"SELECT camera, clock_synced FROM footfall_health WHERE site = {lit(site_id)} AND {r.influx()} GROUP BY device")
    per: dict[str, list[dict]] = {}
    for row in rows:
        per.setdefault(row["device"], []).append(row)
    out = []
    live = r.end >= now - timedelta(minutes=5)  # the broker's status is about now, not about a past range
    for dev in sorted(set(per) | set(d.devices(site_id))):
        out += health_alerts(dev, sorted(per.get(dev, []), key=lambda p: p["time"]), end,
                             status_of(site_id, dev) if live else None)
    out = [{**a, "started": _iso(a["started"], r.tz), "ended": _iso(a["ended"], r.tz)} for a in out]
    for g in data_gaps:
        out.append({"device": g["device"], "kind": "data gap", "started": g["started"], "ended": g["ended"]})
    return out


def alerts(d: Directory, site_id: str, r: TimeRange, status_of, now: datetime | None = None) -> dict:
    d.site(site_id)
    now = now or datetime.now(timezone.utc)
    out = device_alerts(d, site_id, r, status_of, now, gaps(d, site_id, r, now)["gaps"])
    out += report_alerts(d, site_id, r)  # email summaries that could not be sent
    out.sort(key=lambda a: (a["started"], a["device"], a["kind"]))
    return {"site": site_id, "alerts": out}


def _iso(ts: float | None, tz) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, tz).isoformat(timespec="seconds")
