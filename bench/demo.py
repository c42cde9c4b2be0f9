"""`footfall-bench demo`: the whole product on one machine, on real servers.

local mosquitto + influxd -> rendered mall scene -> one `footfall-edge run` per device (publishing over MQTT) ->
the cloud ingest -> InfluxDB -> a summary from InfluxQL next to the scene's ground truth (bench/evaluate.py).
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import click

from .evaluate import ROOT, bin_of, evaluate_scene, print_table

SHARED_FACES = ROOT.parent / "shared" / "data" / "deepface_ids"
FIXTURE_FACES = ROOT / "tests" / "fixtures" / "faces"


@click.command()
@click.option("--out", default="out/demo", type=click.Path(file_okay=False, path_type=Path))
@click.option("--duration", "duration_s", default=120.0, show_default=True, help="scene length, s")
@click.option("--keep", is_flag=True, help="leave the servers running (stop: footfall-dev services down --dir OUT/services)")
def main(out: Path, duration_s: float, keep: bool) -> None:
    """Run the end-to-end demo on local servers and compare what lands in InfluxDB with the scene's truth."""
    out = out.resolve()
    faces, visitors = (SHARED_FACES, 8) if SHARED_FACES.is_dir() else (FIXTURE_FACES, 4)
    scene = out / "scene"
    click.echo(f"rendering a mall scene from {faces} ({visitors} visitors, {duration_s:.0f} s, 3 devices)...")
    subprocess.run([bin_of("footfall-bench"), "render", "--faces", str(faces), "--out", str(scene), "--visitors",
                    str(visitors), "--duration", str(duration_s), "--devices", "entrance,store-a,display",
                    "--return-fraction", "0.5"], check=True, stderr=subprocess.DEVNULL)
    print_table(evaluate_scene(scene, out, baseline=False, keep=keep))
    click.echo("\nQuery it yourself (InfluxQL): see docs/influx-schema.md. Not in the demo yet: the Grafana boards, "
               "the web dashboard and the daily email.")
