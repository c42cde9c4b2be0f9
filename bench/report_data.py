"""Synthetic days of a store's data, written through the real point builders (cloud/store/points.py) from the real
wire models, for the report tests and bench/report_speed.py. Every value is returned too (`Seeded`), so a test can
compute what a report must say without the code under test.

Per store: one device `<store>-cam` with a door line `<store>-door` and a floor zone `<store>-floor`, a count
message per minute all day (zeros outside 08:00-20:00, as a unit reports), a health report every 5 minutes, linked visitors per hour, POS
per hour. A store can be given an outage (no counts, no health) and a camera state."""
from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from footfall.cloud.link.linker import Visitors
from footfall.cloud.store.points import counts_points, health_points, linked_points, pos_points
from footfall.protocol import CountsMessage, HealthMessage

OPEN, CLOSE = 8, 20


@dataclass
class Seeded:
    """What was written, per (store, local date): totals and per local hour."""

    line_in: dict = field(default_factory=lambda: defaultdict(int))          # (store, day) -> in
    hourly_in: dict = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))  # (store, day) -> {hour: in}
    unique: dict = field(default_factory=lambda: defaultdict(int))
    returning: dict = field(default_factory=lambda: defaultdict(int))
    occupancy_max: dict = field(default_factory=lambda: defaultdict(int))
    dwell_n: dict = field(default_factory=lambda: defaultdict(int))
    dwell_s_sum: dict = field(default_factory=lambda: defaultdict(float))
    transactions: dict = field(default_factory=lambda: defaultdict(int))
    revenue: dict = field(default_factory=lambda: defaultdict(float))
    passers: dict = field(default_factory=lambda: defaultdict(int))
    viewers: dict = field(default_factory=lambda: defaultdict(int))
    look_s_sum: dict = field(default_factory=lambda: defaultdict(float))
    lines: int = 0


def store_config(store: str) -> dict:
    return {"id": store, "zones": [f"{store}-floor"]}


def seed_day(db, site: str, tz_name: str, store: str, day: date, *, scale: float = 1.0, seed: int = 0,
             outage: tuple[time, time] | None = None, camera: tuple[time, time, str] | None = None,
             seeded: Seeded | None = None, write: bool = True, health_every_min: int = 5,
             display: bool = False, device_visitors: bool = False) -> tuple[Seeded, list[str]]:
    """One local day of one store. Returns what was written and the lines (written to db unless write=False)."""
    tz = ZoneInfo(tz_name)
    rng = random.Random(f"{site}/{store}/{day}/{seed}")
    s = seeded or Seeded()
    key = (store, day)
    device = f"{store}-cam"
    lines: list[str] = []
    seq = 0
    per_hour_unique: dict[int, int] = defaultdict(int)
    per_hour_returning: dict[int, int] = defaultdict(int)
    # A unit reports every interval, zeros included (closed hours too): a missing minute is an outage.
    for t in _minutes(day, tz):
        if outage and outage[0] <= t.time() < outage[1]:
            continue
        hour = t.hour
        busy = max(0.0, 1.0 - abs(hour + 0.5 - 13.5) / 7.0) if OPEN <= hour < CLOSE else 0.0  # a midday peak
        n_in = rng.choices([0, 1, 2, 3], weights=[1.0, busy * scale * 2, busy * scale, busy * scale * 0.3])[0] if busy else 0
        n_out = max(0, n_in - rng.randint(0, 1))
        occ = rng.randint(0, 3 + int(10 * busy * scale)) if busy else 0
        dwell_n = n_out
        dwell_s = sum(rng.uniform(60, 900) for _ in range(dwell_n))
        u = sum(1 for _ in range(n_in) if rng.random() < 0.8)
        ret = sum(1 for _ in range(u) if rng.random() < 0.15)
        per_hour_unique[hour] += u
        per_hour_returning[hour] += ret
        seq += 1
        displays = []
        if display:  # a screen in the store, seen by the same unit
            passers = n_in + rng.randint(0, 2) if busy else 0
            viewers = sum(1 for _ in range(passers) if rng.random() < 0.4)
            look = round(sum(rng.uniform(0.5, 6.0) for _ in range(viewers)), 2)
            displays = [{"display": f"{store}-screen", "passers": passers, "viewers": viewers, "look_s_sum": look}]
            s.passers[key] += passers
            s.viewers[key] += viewers
            s.look_s_sum[key] += look
        msg = CountsMessage(site=site, device=device, seq=seq, ts=t + timedelta(seconds=60), interval_start=t,
                            interval_s=60, lines=[{"line": f"{store}-door", "in": n_in, "out": n_out}],
                            zones=[{"zone": f"{store}-floor", "entries": n_in, "exits": n_out, "occupancy_max": occ,
                                    "occupancy_mean": occ / 2, "dwell_s_sum": round(dwell_s, 2), "dwell_n": dwell_n}],
                            displays=displays,
                            visitors=({"unique": u, "returning": ret} if device_visitors else None))
        lines += counts_points(msg)
        s.line_in[key] += n_in
        s.hourly_in[key][hour] += n_in
        s.occupancy_max[key] = max(s.occupancy_max[key], occ)
        s.dwell_n[key] += dwell_n
        s.dwell_s_sum[key] += round(dwell_s, 2)
    for t in _minutes(day, tz)[::health_every_min]:
        if outage and outage[0] <= t.time() < outage[1]:
            continue
        cam = camera[2] if camera and camera[0] <= t.time() < camera[1] else "ok"
        seq += 1
        lines += health_points(HealthMessage(site=site, device=device, seq=seq, ts=t, uptime_s=float(t.timestamp() % 86400), fps=15.0,
                                             camera=cam, clock_synced=True))
    for hour in range(OPEN, CLOSE):
        start = datetime.combine(day, time(hour), tz)
        minute = int(start.timestamp())
        if not device_visitors:  # privacy level site: the cloud's linker writes them
            lines += linked_points([Visitors(site, store, minute, per_hour_unique[hour], per_hour_returning[hour])])
        s.unique[key] += per_hour_unique[hour]
        s.returning[key] += per_hour_returning[hour]
        n = int(s.hourly_in[key][hour] * rng.uniform(0.15, 0.3))
        rev = round(n * rng.uniform(10, 60), 2)
        lines += pos_points(site, store, [(start, n, rev)])
        s.transactions[key] += n
        s.revenue[key] += rev
    s.lines += len(lines)
    if write:
        for i in range(0, len(lines), 5000):
            db.write(lines[i:i + 5000])
    return s, lines


def _minutes(day: date, tz: ZoneInfo) -> list[datetime]:
    """Every local minute of the day (23 or 25 hours on DST days), as aware local datetimes."""
    t0 = datetime.combine(day, time(0), tz).astimezone(timezone.utc)
    t1 = datetime.combine(day + timedelta(days=1), time(0), tz).astimezone(timezone.utc)
    return [(t0 + timedelta(minutes=i)).astimezone(tz) for i in range(int((t1 - t0).total_seconds() // 60))]


def utc(d: date, t: time, tz_name: str) -> datetime:
    return datetime.combine(d, t, ZoneInfo(tz_name)).astimezone(timezone.utc)
