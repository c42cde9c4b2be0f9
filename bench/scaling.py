"""A simulated fleet through one or several ingest instances (`shard: i/n`), on real mosquitto and influxd.

    python -m footfall.bench.scaling --sites 12 --devices 10 --minutes 20 --shards 1,2 --json

Every device of every site sends a counts message and a health report per minute. For each instance count n, n
`footfall-cloud ingest` processes (shard i/n, their own client id and state) share one broker and one database;
the fleet's messages are published as fast as the broker takes them, and the run ends when every point is in
InfluxDB. Reports messages/s end to end and each instance's CPU seconds (today every instance reads every site's
messages and drops the ones it does not serve: docs/scaling.md).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
import zlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

import click
import yaml

from footfall.bench.ingest import publish_all
from footfall.cloud.store.influx import InfluxV1
from footfall.devserver.services import LocalServices
from footfall.protocol import CountsMessage, HealthMessage, LineCount, encode, topic_for

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
TICK = os.sysconf("SC_CLK_TCK")


def fleet(sites: list[str], devices: int, minutes: int) -> list[tuple[str, bytes]]:
    out = []
    for minute in range(minutes):
        start = T0 + timedelta(minutes=minute)
        for site in sites:
            for d in range(devices):
                device = f"unit-{d:02d}"
                c = CountsMessage(site=site, device=device, seq=2 * minute, ts=start + timedelta(seconds=60),
                                  interval_start=start, interval_s=60,
                                  lines=[LineCount(line="door", **{"in": (minute + d) % 7}, out=d % 3)])
                h = HealthMessage(site=site, device=device, seq=2 * minute + 1, ts=start + timedelta(seconds=59),
                                  uptime_s=60.0 * minute, fps=15.0, stage_ms={"detect": 20.0})
                out += [(topic_for(site, device, "counts"), encode(c)), (topic_for(site, device, "health"), encode(h))]
    return out


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def points(db: InfluxV1) -> int:
    rows = db.query('SELECT count("in") FROM footfall_line') + db.query('SELECT count("fps") FROM footfall_health')
    return sum(r["count"] for r in rows)


def run(services: LocalServices, tmp: Path, sites: list[str], items, n: int, expected: int) -> dict:
    database = f"scale_{n}_{uuid.uuid4().hex[:6]}"
    db = InfluxV1(services.influxd.url, database)
    procs = []
    for i in range(n):
        cfg = {"mqtt": {"host": "127.0.0.1", "port": services.mosquitto.port, "client_id": f"scale-{database}-{i}"},
               "influx": {"url": services.influxd.url, "database": database},
               "sites": [{"id": s, "timezone": "UTC"} for s in sites], "shard": f"{i}/{n}",
               "state_dir": str(tmp / database / str(i))}
        path = tmp / f"{database}-{i}.yaml"
        path.write_text(yaml.safe_dump(cfg))
        procs.append(subprocess.Popen([sys.executable, "-m", "footfall.cloud", "ingest", "--config", str(path),
                                       "--log-level", "WARNING"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    try:
        # ready: one message per instance's first site, published until it is in the database (its subscription is
        # persistent from then on)
        owners = {i: next(s for s in sites if zlib.crc32(s.encode()) % n == i) for i in range(n)}
        warm = [(topic_for(s, "warm", "counts"), encode(CountsMessage(
            site=s, device="warm", seq=0, ts=T0 - timedelta(days=1), interval_start=T0 - timedelta(days=1, minutes=1),
            interval_s=60, lines=[LineCount(line="door", **{"in": 1}, out=0)]))) for s in owners.values()]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            publish_all(services.mosquitto.port, warm)
            time.sleep(0.5)
            try:
                if points(db) >= n:
                    break
            except Exception:  # the database is created by the first instance
                pass
        before = [cpu_s(p.pid) for p in procs]
        start = time.perf_counter()
        publish_all(services.mosquitto.port, items)
        while points(db) < expected + n:
            time.sleep(0.05)
        elapsed = time.perf_counter() - start
        used = [round(cpu_s(p.pid) - b, 2) for p, b in zip(procs, before)]
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(30)
    return {"instances": n, "seconds": round(elapsed, 2), "msgs_per_s": round(len(items) / elapsed),
            "cpu_s_per_instance": used, "sites_per_instance": [sum(zlib.crc32(s.encode()) % n == i for s in sites)
                                                                for i in range(n)]}


@click.command()
@click.option("--sites", default=12)
@click.option("--devices", default=10, help="per site")
@click.option("--minutes", default=20)
@click.option("--shards", default="1,2", help="instance counts to run, comma-separated")
@click.option("--json", "as_json", is_flag=True, help="print JSON (the only output format)")
def main(sites: int, devices: int, minutes: int, shards: str, as_json: bool) -> None:
    names = [f"mall-{i:02d}" for i in range(sites)]
    items = fleet(names, devices, minutes)
    expected = len(items)  # one point per message: a line count or a health report
    results = []
    with tempfile.TemporaryDirectory() as tmp, LocalServices(Path(tmp) / "services") as services:
        for n in map(int, shards.split(",")):
            results.append(run(services, Path(tmp), names, items, n, expected))
    json.dump({"sites": sites, "devices_per_site": devices, "minutes": minutes, "messages": len(items),
               "cpus": os.cpu_count(), "runs": results}, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
