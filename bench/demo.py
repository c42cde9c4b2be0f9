"""`footfall-bench demo`: the whole product on one machine, on real servers.

local mosquitto + influxd -> rendered mall scene -> one `footfall-edge run` per device (publishing over MQTT) ->
`footfall-cloud` ingest -> InfluxDB -> a summary from InfluxQL next to the scene's ground truth.
"""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import click
import yaml

ROOT = Path(__file__).resolve().parent.parent
SHARED_FACES = ROOT.parent / "shared" / "data" / "deepface_ids"
FIXTURE_FACES = ROOT / "tests" / "fixtures" / "faces"


def bin_of(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def run_demo(out: Path, duration_s: float, keep: bool) -> dict:
    from footfall.cloud.config import CloudConfig
    from footfall.cloud.ingest.service import Ingest
    from footfall.devserver.services import LocalServices

    out = out.resolve()
    faces, visitors = (SHARED_FACES, 8) if SHARED_FACES.is_dir() else (FIXTURE_FACES, 4)
    services = LocalServices(out / "services")
    services.up()
    click.echo(f"servers: mosquitto {services.mosquitto.url}, influxd {services.influxd.url}")
    try:
        scene = out / "scene"
        click.echo(f"rendering a mall scene from {faces} ({visitors} visitors, {duration_s:.0f} s, 3 devices)...")
        subprocess.run([bin_of("footfall-bench"), "render", "--faces", str(faces), "--out", str(scene), "--visitors",
                        str(visitors), "--duration", str(duration_s), "--devices", "entrance,store-a,display",
                        "--return-fraction", "0.5"], check=True, stderr=subprocess.DEVNULL)
        truth = yaml.safe_load((scene / "truth.json").read_text())
        cfg = CloudConfig.model_validate({
            "mqtt": {"host": "127.0.0.1", "port": services.mosquitto.port, "client_id": "demo-ingest"},
            "influx": {"url": services.influxd.url, "database": "footfall"},
            "sites": [{"id": "mall-demo", "name": "Demo mall", "timezone": "Europe/Berlin", "entrances": ["entrance"],
                       "stores": [{"id": "store-a", "zones": ["store-a-floor"]}]}],
            "state_dir": str(out / "cloud-state")})
        (out / "cloud.yaml").write_text(yaml.safe_dump(cfg.model_dump(mode="json")))
        ingest = Ingest(cfg)
        ingest.start()
        if not ingest.connected.wait(15):
            raise click.ClickException("the ingest could not subscribe to the local broker")
        edges = []
        for device in truth["devices"]:
            edge_cfg = yaml.safe_load((scene / f"{device}.yaml").read_text())
            edge_cfg["mqtt"] = {"host": "127.0.0.1", "port": services.mosquitto.port}
            edge_cfg["outbox"] = {"dir": str(out / "edge-state" / device)}
            path = out / f"edge-{device}.yaml"
            path.write_text(yaml.safe_dump(edge_cfg))
            log = open(out / f"edge-{device}.log", "wb")
            edges.append(subprocess.Popen([bin_of("footfall-edge"), "run", "--config", str(path), "--fast"],
                                          stdout=log, stderr=subprocess.STDOUT))
        click.echo(f"edge units running: {', '.join(truth['devices'])} (logs in {out})")
        for p in edges:
            if p.wait() != 0:
                raise click.ClickException(f"an edge unit failed; see {out}/edge-*.log")
        time.sleep(2)
        ingest.writer.drain(30)
        summary = report(ingest.db, truth)
        ingest.close()
        return summary
    finally:
        if not keep:
            services.down()


def report(db, truth) -> dict:
    def one(q, key="sum"):
        rows = db.query(q)
        return rows[0][key] if rows else 0

    t_dev = truth["devices"]
    rows = {
        "entrance in": (one("SELECT sum(\"in\") FROM footfall_line WHERE device = 'entrance'"),
                        sum(c["direction"] == "in" for c in t_dev["entrance"]["crossings"])),
        "store-a in": (one("SELECT sum(\"in\") FROM footfall_line WHERE device = 'store-a'"),
                       sum(c["direction"] == "in" for c in t_dev["store-a"]["crossings"])),
        "unique visitors": (one("SELECT sum(\"unique\") FROM footfall_visitors WHERE scope = 'site'"), len(truth["visitors"])),
        "returning visitors": (one("SELECT sum(returning) FROM footfall_visitors WHERE scope = 'site'"),
                               sum(len(v["trips"]) > 1 for v in truth["visitors"])),
        "store-a visitors": (one("SELECT sum(\"unique\") FROM footfall_visitors WHERE scope = 'store-a'"),
                             len({z["visitor"] for z in t_dev["store-a"]["zone_visits"]})),
        "store-a dwell s": (round(one("SELECT sum(dwell_s_sum) FROM footfall_zone WHERE zone = 'store-a-floor'") or 0, 1),
                            round(sum(z["exit"] - z["enter"] for z in t_dev["store-a"]["zone_visits"]), 1)),
        "display viewers": (one("SELECT sum(viewers) FROM footfall_display"), len(t_dev["display"]["looks"])),
        "entrance -> store-a moves": (one("SELECT sum(moves) FROM footfall_flow WHERE \"from\" = 'entrance' AND \"to\" = 'store-a'"), None),
    }
    click.echo(f"\n{'':28}{'InfluxDB':>10}{'truth':>10}")
    for name, (got, want) in rows.items():
        click.echo(f"{name:28}{got if got is not None else '-':>10}{want if want is not None else '-':>10}")
    click.echo("\nQuery it yourself (InfluxQL, database footfall): see docs/influx-schema.md. Not in the demo yet: the"
               " Grafana boards, the web dashboard and the daily email.")
    return {k: {"influx": g, "truth": w} for k, (g, w) in rows.items()}


@click.command()
@click.option("--out", default="out/demo", type=click.Path(file_okay=False, path_type=Path))
@click.option("--duration", "duration_s", default=120.0, show_default=True, help="scene length, s")
@click.option("--keep", is_flag=True, help="leave the servers running (stop: footfall-dev services down --dir OUT/services)")
def main(out: Path, duration_s: float, keep: bool) -> None:
    """Run the end-to-end demo on local servers and compare what lands in InfluxDB with the scene's truth."""
    run_demo(out, duration_s, keep)
