"""Daily email reports for many stores for one day, against a real influxd, timed. JSON out.

    python -m footfall.bench.report_speed --stores 500 --json

Seeds `--stores` stores (in malls of `--per-site` stores each, one counting unit per store) with a whole day of
per-minute counts, 5-minute health, hourly visitors and POS, for the report day, the day before and the same
weekday a week before (what a daily report compares with), then times `report daily --dry-run` for all of them:
figures from InfluxDB (one query per site and measurement), the data-quality box (the fleet's alerts), the chart,
HTML, text and the MIME message, written to disk. Also times a delivery of every message to a local aiosmtpd over
one connection per message (as the command sends). Goal: under 60 s for 500 stores.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import click

from footfall.bench.report_data import seed_day, store_config
from footfall.cloud.config import CloudConfig
from footfall.cloud.store.influx import InfluxV1
from footfall.devserver.services import Influxd, ensure_installed, free_port

DAY = date(2026, 11, 23)
TZ = "Europe/Berlin"


def _template(day: date, seed: int) -> list[str]:
    """One store-day's lines for store "tmpl" of site "tmplsite", made by the real point builders."""
    _, lines = seed_day(None, "tmplsite", TZ, "tmpl", day, seed=seed, write=False)
    return lines


def seed(db: InfluxV1, sites: int, per_site: int) -> int:
    """Every store gets one of a few template days (made once through points.py), renamed: seeding 500 stores
    through pydantic models one by one would take longer than the thing measured."""
    n = 0
    templates = {d: [_template(d, s) for s in range(4)] for d in (DAY, DAY - timedelta(days=1), DAY - timedelta(days=7))}
    for i in range(sites):
        for j in range(per_site):
            store = f"s{i:02d}-{j:02d}"
            batch = []
            for d, temps in templates.items():
                for line in temps[(i + j) % len(temps)]:
                    batch.append(line.replace("tmplsite", f"mall{i:02d}").replace("tmpl", store))
            for k in range(0, len(batch), 20000):
                db.write(batch[k:k + 20000])
            n += len(batch)
    return n


def config(url: str, database: str, sites: int, per_site: int, state: Path) -> CloudConfig:
    return CloudConfig.model_validate({
        "influx": {"url": url, "database": database},
        "sites": [{"id": f"mall{i:02d}", "name": f"Mall {i}", "timezone": TZ,
                   "stores": [store_config(f"s{i:02d}-{j:02d}") for j in range(per_site)]} for i in range(sites)],
        "state_dir": str(state),
    })


def _cpu_s(pid: int) -> float:
    """utime + stime of a process (influxd) from /proc, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _own_cpu_s() -> float:
    import resource

    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def deliver(messages: list[Path]) -> float:
    """Every .eml to a local aiosmtpd, one SMTP connection each; seconds."""
    import smtplib

    from aiosmtpd.controller import Controller

    class Count:
        n = 0

        async def handle_DATA(self, server, session, envelope):
            Count.n += 1
            return "250 OK"

    port = free_port()
    c = Controller(Count(), hostname="127.0.0.1", port=port)
    c.start()
    try:
        t = time.perf_counter()
        for p in messages:
            with smtplib.SMTP("127.0.0.1", port, timeout=10) as s:  # .eml files end lines in LF; SMTP wants CRLF
                s.sendmail("reports@bench", ["manager@bench"], p.read_bytes().replace(b"\n", b"\r\n"))
        return time.perf_counter() - t
    finally:
        c.stop()


@click.command()
@click.option("--stores", default=500, show_default=True)
@click.option("--per-site", default=20, show_default=True, help="stores per mall (site)")
@click.option("--workers", type=int, default=None, help="report processes (default: the command's own choice)")
@click.option("--json", "as_json", is_flag=True, help="print JSON (the only output format)")
def main(stores: int, per_site: int, workers: int | None, as_json: bool) -> None:
    from footfall.cloud.report.run import run

    sites = max(1, stores // per_site)
    ensure_installed(("influxd",))
    with tempfile.TemporaryDirectory() as tmp:
        server = Influxd("influxd", Path(tmp) / "influxd", free_port())
        server.start()
        try:
            db = InfluxV1(server.url, "reports", timeout_s=120)
            db.ensure_database()
            t = time.perf_counter()
            points = seed(db, sites, per_site)
            seed_s = time.perf_counter() - t
            cfg = config(server.url, "reports", sites, per_site, Path(tmp) / "state")
            out = Path(tmp) / "out"
            load0 = os.getloadavg()[0]
            cpu0, db0 = _own_cpu_s(), _cpu_s(server.pid)
            t = time.perf_counter()
            outcome = run(cfg, db, "daily", DAY, dry_run=out, workers=workers)
            gen_s = time.perf_counter() - t
            cpu_s, db_cpu_s = _own_cpu_s() - cpu0, _cpu_s(server.pid) - db0
            load1 = os.getloadavg()[0]
            assert outcome.ok and len(outcome.sent) == sites * per_site, outcome.failed
            emls = sorted(out.rglob("*.eml"))
            send_s = deliver(emls)
            size = sum(p.stat().st_size for p in emls) / len(emls)
        finally:
            server.stop()
    json.dump({
        "stores": sites * per_site, "sites": sites, "day": DAY.isoformat(), "points_seeded": points,
        "seed_s": round(seed_s, 1), "generate_s": round(gen_s, 2), "per_store_ms": round(1000 * gen_s / (sites * per_site), 1),
        "goal_s": 60, "within_goal": gen_s < 60, "workers": workers or "default",
        # CPU seconds spent (reports incl. worker processes; influxd): the wall time depends on what else runs
        "report_cpu_s": round(cpu_s, 1), "influxd_cpu_s": round(db_cpu_s, 1),
        "load_avg_1min_before_after": [round(load0, 2), round(load1, 2)], "smtp_delivery_s": round(send_s, 2), "message_kb": round(size / 1024, 1),
        "cpus": os.cpu_count(), "python": sys.version.split()[0],
    }, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
