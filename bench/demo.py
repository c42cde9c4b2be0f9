"""`footfall-bench demo`: the whole product on one machine, on real servers.

local mosquitto + influxd -> rendered mall scene -> one `footfall-edge run` per device (publishing over MQTT) ->
the cloud ingest -> InfluxDB -> a summary from InfluxQL next to the scene's ground truth (bench/evaluate.py) ->
the store manager's daily email through a local SMTP sink -> the dashboard and API, served until Ctrl-C.
"""
from __future__ import annotations

import subprocess
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import click
import requests
import yaml

from .evaluate import ROOT, bin_of, evaluate_scene, print_table

SHARED_FACES = ROOT.parent / "shared" / "data" / "deepface_ids"
FIXTURE_FACES = ROOT / "tests" / "fixtures" / "faces"
DEMO_LOGIN = ("demo", "footfall-demo")  # an admin web login made for the demo's own state_dir


@click.command()
@click.option("--out", default="out/demo", type=click.Path(file_okay=False, path_type=Path))
@click.option("--duration", "duration_s", default=120.0, show_default=True, help="scene length, s")
@click.option("--serve/--no-serve", default=True, show_default=True,
              help="keep the dashboard and the servers up until Ctrl-C")
def main(out: Path, duration_s: float, serve: bool) -> None:
    """Run the end-to-end demo on local servers, compare what lands in InfluxDB with the scene's truth, send the
    daily email and serve the dashboard."""
    from footfall.devserver.services import LocalServices, free_port

    out = out.resolve()
    faces, visitors = (SHARED_FACES, 8) if SHARED_FACES.is_dir() else (FIXTURE_FACES, 4)
    scene = out / "scene"
    # the scene ends two minutes ago, so it is today's data on the dashboard and not in the future for the ingest
    start = (datetime.now(timezone.utc) - timedelta(seconds=duration_s + 120)).replace(microsecond=0)
    click.echo(f"rendering a mall scene from {faces} ({visitors} visitors, {duration_s:.0f} s, 3 devices)...")
    subprocess.run([bin_of("footfall-bench"), "render", "--faces", str(faces), "--out", str(scene), "--visitors",
                    str(visitors), "--duration", str(duration_s), "--devices", "entrance,store-a,display",
                    "--return-fraction", "0.5", "--start", start.isoformat()], check=True, stderr=subprocess.DEVNULL)
    services = LocalServices(out / "services")
    api = None
    try:
        print_table(evaluate_scene(scene, out, baseline=False, keep=True))
        cfg_path = out / "cloud.yaml"
        cfg = yaml.safe_load(cfg_path.read_text())
        cfg["api"] = {"host": "127.0.0.1", "port": free_port(), "secure_cookies": False}
        cfg_path.write_text(yaml.safe_dump(cfg))
        site = cfg["sites"][0]
        day = start.astimezone(ZoneInfo(site["timezone"])).date()
        send_daily_email(cfg_path, site["stores"][0]["id"], day, out / "email")
        api = start_dashboard(cfg_path, out)
        url = f"http://127.0.0.1:{cfg['api']['port']}/"
        click.echo(f"\nDashboard and API: {url}  (login {DEMO_LOGIN[0]} / {DEMO_LOGIN[1]}; API: {url}api/v1/openapi.json)")
        click.echo("Query InfluxDB yourself (InfluxQL): docs/influx-schema.md; Grafana boards: deploy/grafana/.")
        if serve:
            click.echo("Serving until Ctrl-C.")
            while api.poll() is None:
                time.sleep(1)
            raise click.ClickException(f"the dashboard stopped; see {out}/api.log")
    except KeyboardInterrupt:
        click.echo("\nstopping")
    finally:
        if api is not None and api.poll() is None:
            api.terminate()
            api.wait(15)
        services.down()


def send_daily_email(cfg_path: Path, store: str, day, out: Path) -> None:
    """The store manager's daily summary, delivered to a local SMTP sink (aiosmtpd) that keeps what it receives."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Mailbox

    from footfall.cloud.config import load
    from footfall.cloud.report.demo import write_demo_email
    from footfall.devserver.services import free_port

    out.mkdir(parents=True, exist_ok=True)
    sink = Controller(Mailbox(str(out / "mailbox")), hostname="127.0.0.1", port=free_port())
    sink.start()
    try:
        files = write_demo_email(load(cfg_path), store, day, out, sink.hostname, sink.port)
    finally:
        sink.stop()
    click.echo(f"\nDaily email for {store} ({day}): delivered to a local SMTP sink, maildir {out / 'mailbox'}; "
               f"open {files['html']} in a browser, or {files['eml']} in a mail client.")


def start_dashboard(cfg_path: Path, out: Path) -> subprocess.Popen:
    """`footfall-cloud api` with a demo admin login; returns once it answers."""
    from footfall.cloud.api.tokens import TokenStore
    from footfall.cloud.config import load

    cfg = load(cfg_path)
    tokens = TokenStore(cfg.state_dir / "api.sqlite")
    if DEMO_LOGIN[0] not in {p["name"] for p in tokens.list()}:
        tokens.create(DEMO_LOGIN[0], "admin", login=True, password=DEMO_LOGIN[1])
    log = open(out / "api.log", "wb")
    api = subprocess.Popen([bin_of("footfall-cloud"), "api", "--config", str(cfg_path)], stdout=log,
                           stderr=subprocess.STDOUT)
    url = f"http://{cfg.api.host}:{cfg.api.port}/api/v1/openapi.json"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and api.poll() is None:
        try:
            if requests.get(url, timeout=2).ok:
                return api
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    api.terminate()
    raise click.ClickException(f"the dashboard did not start; see {out}/api.log")
