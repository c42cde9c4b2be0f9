"""Dashboard page speed: the store page over a month of one store's data, in Debian's headless Chromium, served by
waitress over a real influxd (the data of bench/api.py's seeding). Times from navigation to every panel drawn
(`body[data-ready]`), and each API call the page made (the browser's resource timing).

    python -m footfall.bench.dashboard --json
"""
from __future__ import annotations

import json
import statistics
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

import click

from footfall.cloud.config import CloudConfig
from footfall.cloud.store.influx import InfluxV1
from footfall.devserver.services import Influxd, ensure_installed, free_port

from .api import START, seed

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@click.command()
@click.option("--days", default=30, show_default=True)
@click.option("--repeat", default=5, show_default=True)
@click.option("--width", default=1280, show_default=True, help="viewport width, px (390: a phone)")
@click.option("--json", "as_json", is_flag=True)
def main(days: int, repeat: int, width: int, as_json: bool) -> None:
    from playwright.sync_api import sync_playwright
    from waitress.server import create_server

    from footfall.cloud.api import create_app
    from footfall.cloud.api.tokens import TokenStore
    from footfall.cloud.query import Reader

    ensure_installed(("influxd",))
    end = (START + timedelta(days=days - 1)).date()
    path = f"/stores/store-a?from={START.date()}&to={end}"
    with tempfile.TemporaryDirectory() as tmp:
        influxd = Influxd("influxd", Path(tmp) / "influxd", free_port())
        influxd.start()
        try:
            db = InfluxV1(influxd.url, "bench")
            db.ensure_database()
            points = seed(db, days)
            cfg = CloudConfig.model_validate({
                "influx": {"url": influxd.url, "database": "bench"}, "state_dir": tmp,
                "api": {"secure_cookies": False, "status_watch": False},
                "sites": [{"id": "mall", "timezone": "Europe/Berlin", "entrances": ["entrance"],
                           "stores": [{"id": "store-a", "zones": ["a-floor"]}, {"id": "store-b", "zones": ["b-floor"]}]}]})
            tokens = TokenStore(Path(tmp) / "api.sqlite")
            password = tokens.create("bench", "manager", ["store-a"], login=True)
            server = create_server(create_app(cfg, reader=Reader(cfg, db), tokens=tokens), host="127.0.0.1",
                                   port=free_port(), threads=cfg.api.threads)
            threading.Thread(target=server.run, daemon=True).start()
            base = f"http://127.0.0.1:{server.effective_port}"
            loads, calls = [], {}
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": width, "height": 900})
                page.goto(f"{base}/login?next=/")
                page.fill("input[name=name]", "bench")
                page.fill("input[name=password]", password)
                page.click("button[type=submit]")
                page.wait_for_selector("body[data-ready='1']", timeout=60_000)
                for _ in range(repeat):
                    t = time.perf_counter()
                    page.goto(base + path)
                    page.wait_for_selector("body[data-ready='1']", timeout=60_000)
                    loads.append((time.perf_counter() - t) * 1000)
                    for e in page.evaluate("performance.getEntriesByType('resource').map(e => [e.name, e.duration])"):
                        if "/api/v1/" in e[0]:
                            calls.setdefault(e[0].split(base, 1)[-1], []).append(e[1])
                browser.close()
            server.close()
        finally:
            influxd.stop()
    out = {"benchmark": "dashboard store page", "days": days, "points": points, "repeat": repeat, "width": width,
           "page": path, "ready_ms": {"median": round(statistics.median(loads), 1), "max": round(max(loads), 1),
                                      "first": round(loads[0], 1)},
           "api_calls": len(calls),
           "calls": {k: {"median_ms": round(statistics.median(v), 1), "max_ms": round(max(v), 1)}
                     for k, v in sorted(calls.items(), key=lambda kv: -statistics.median(kv[1]))}}
    if as_json:
        click.echo(json.dumps(out, indent=2))
    else:
        click.echo(f"store page, {days} days: ready in {out['ready_ms']['median']:.0f} ms (median of {repeat}), "
                   f"max {out['ready_ms']['max']:.0f} ms, {len(calls)} API calls")
        for k, v in out["calls"].items():
            click.echo(f"  {v['median_ms']:7.1f} ms  {k}")


if __name__ == "__main__":
    main()
