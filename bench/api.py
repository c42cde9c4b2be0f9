"""Store page speed: the API calls the dashboard's store page makes, over a month of one store's data in a real
influxd, through waitress and HTTP (goal: each under 300 ms).

    python -m footfall.bench.api --json

Seeds 30 days of a store as edge units and the linker write it: one counts point a minute around the clock for the
store's door line and floor zone and for a second device of the site (so queries must filter), per-minute visitor
figures during opening hours, hourly POS uploads, a site entrance. Each call is timed `--repeat` times (the first
answer also warms InfluxDB's caches); median and max per call.
"""
from __future__ import annotations

import json
import statistics
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import click
import requests

from footfall.cloud.config import CloudConfig
from footfall.cloud.store.influx import InfluxV1
from footfall.devserver.services import Influxd, ensure_installed, free_port

GOAL_MS = 300.0
START = datetime(2026, 10, 1, tzinfo=timezone.utc)


def seed(db: InfluxV1, days: int) -> int:
    lines: list[str] = []
    n = 0
    for m in range(days * 24 * 60):
        t = START + timedelta(minutes=m)
        ns = int(t.timestamp()) * 10**9
        open_ = 8 <= t.hour < 20
        k = (m * 7) % 5 if open_ else 0
        lines += [f"footfall_line,site=mall,device=cam-a,line=a-door in={k}i,out={max(0, k - 1)}i {ns}",
                  f"footfall_zone,site=mall,device=cam-a,zone=a-floor entries={k}i,exits={max(0, k - 1)}i,"
                  f"occupancy_max={k + 2}i,dwell_n={k}i,occupancy_mean={k / 2},dwell_s_sum={k * 95.0} {ns}",
                  f"footfall_line,site=mall,device=cam-b,line=b-door in={k}i,out={k}i {ns}",
                  f"footfall_line,site=mall,device=entrance,line=main in={2 * k}i,out={2 * k}i {ns}"]
        if open_:
            lines += [f"footfall_visitors,site=mall,scope=store-a unique={k // 2}i,returning={k % 2}i {ns}",
                      f"footfall_visitors,site=mall,scope=site unique={k}i,returning={k % 2}i {ns}"]
            if t.minute == 0:
                lines.append(f"footfall_pos,site=mall,store=store-a transactions={k + 3}i,revenue={k * 12.5} {ns}")
        if len(lines) >= 20000:
            db.write(lines)
            n += len(lines)
            lines = []
    db.write(lines)
    return n + len(lines)


def calls(days: int) -> dict[str, str]:
    """The store page: a month by day and by hour, visitors, dwell, conversion, entry times, live figures, the
    previous day and week for comparisons, and the CSV export."""
    end = START + timedelta(days=days - 1)
    day, month = end.date().isoformat(), f"from={START.date()}&to={end.date()}"
    prev = (end - timedelta(days=1)).date().isoformat()
    week = f"from={(end - timedelta(days=13)).date()}&to={(end - timedelta(days=7)).date()}"
    s = "/api/v1/stores/store-a"
    return {
        "footfall month by day": f"{s}/footfall?{month}&interval=day",
        "footfall month by hour": f"{s}/footfall?{month}&interval=hour",
        "footfall day by 15m": f"{s}/footfall?from={day}&to={day}&interval=15m",
        "footfall previous day": f"{s}/footfall?from={prev}&to={prev}&interval=hour",
        "footfall previous week": f"{s}/footfall?{week}&interval=day",
        "visitors month by day": f"{s}/visitors?{month}&interval=day",
        "dwell month by day": f"{s}/dwell?{month}&interval=day",
        "conversion month by day": f"{s}/conversion?{month}&interval=day",
        "conversion month by week": f"{s}/conversion?{month}&interval=week",
        "entry-exit month": f"{s}/entry-exit?{month}",
        "occupancy now": f"{s}/occupancy",
        "export month by day (CSV)": f"{s}/export.csv?{month}&interval=day",
    }


@click.command()
@click.option("--days", default=30, show_default=True)
@click.option("--repeat", default=7, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def main(days: int, repeat: int, as_json: bool) -> None:
    from waitress.server import create_server

    from footfall.cloud.api import create_app
    from footfall.cloud.api.tokens import TokenStore
    from footfall.cloud.query import Reader

    ensure_installed(("influxd",))
    with tempfile.TemporaryDirectory() as tmp:
        influxd = Influxd("influxd", Path(tmp) / "influxd", free_port())
        influxd.start()
        try:
            db = InfluxV1(influxd.url, "bench")
            db.ensure_database()
            t = time.perf_counter()
            points = seed(db, days)
            seed_s = time.perf_counter() - t
            cfg = CloudConfig.model_validate({
                "influx": {"url": influxd.url, "database": "bench"}, "state_dir": tmp,
                "sites": [{"id": "mall", "timezone": "Europe/Berlin", "entrances": ["entrance"],
                           "stores": [{"id": "store-a", "zones": ["a-floor"]}, {"id": "store-b", "zones": ["b-floor"]}]}]})
            tokens = TokenStore(Path(tmp) / "api.sqlite")
            key = tokens.create("bench", "manager", ["store-a"])
            app = create_app(cfg, reader=Reader(cfg, db), tokens=tokens)
            server = create_server(app, host="127.0.0.1", port=free_port(), threads=4)
            threading.Thread(target=server.run, daemon=True).start()
            base = f"http://127.0.0.1:{server.effective_port}"
            http = requests.Session()
            http.headers["Authorization"] = f"Bearer {key}"
            results = {}
            for name, path in calls(days).items():
                ms = []
                for _ in range(repeat):
                    t = time.perf_counter()
                    r = http.get(base + path, timeout=30)
                    ms.append((time.perf_counter() - t) * 1000)
                    r.raise_for_status()
                results[name] = {"path": path, "median_ms": round(statistics.median(ms), 1), "max_ms": round(max(ms), 1),
                                 "first_ms": round(ms[0], 1), "bytes": len(r.content)}
            server.close()
        finally:
            influxd.stop()
    worst = max(r["max_ms"] for r in results.values())
    out = {"benchmark": "api store page", "days": days, "points": points, "seed_s": round(seed_s, 1), "repeat": repeat,
           "goal_ms": GOAL_MS, "worst_ms": worst, "all_under_goal": worst < GOAL_MS, "calls": results}
    if as_json:
        click.echo(json.dumps(out, indent=2))
    else:
        for name, r in results.items():
            click.echo(f"{name:32s} median {r['median_ms']:7.1f} ms  max {r['max_ms']:7.1f} ms")
        click.echo(f"worst {worst:.1f} ms (goal < {GOAL_MS:.0f} ms)")


if __name__ == "__main__":
    main()
