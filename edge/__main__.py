"""footfall-edge: the edge unit's command line."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from footfall.protocol.configfile import SecretError, validate_config_command

from . import __version__
from .config import EdgeConfig


@click.group()
@click.version_option(__version__)
def main() -> None:
    """Footfall edge unit: counts people on the device and publishes anonymous events over MQTT."""


main.add_command(validate_config_command(EdgeConfig, "an edge"))


def load_or_exit(config_file: str) -> EdgeConfig:
    from footfall.protocol.configfile import ConfigError, load_config

    try:
        return load_config(config_file, EdgeConfig)
    except ConfigError as e:
        for p in e.problems:
            click.echo(str(p), err=True)
        sys.exit(2)


@main.command()
@click.option("--config", "config_file", default="/etc/footfall/edge.yaml", show_default=True,
              type=click.Path(dir_okay=False))
@click.option("--fast", is_flag=True, help="file sources: as fast as possible on the file's own clock (demo)")
@click.option("--log-level", default="INFO", type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]))
def run(config_file: str, fast: bool, log_level: str) -> None:
    """The edge service: camera -> pipeline -> durable outbox -> MQTT (systemd Type=notify, watchdog)."""
    import logging

    from .app import run as run_service

    logging.basicConfig(level=log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    cfg = load_or_exit(config_file)
    try:
        run_service(cfg, fast=fast)
    except SecretError as e:
        click.echo(f"{config_file}: {e}", err=True)
        sys.exit(2)


@main.command()
@click.option("--config", "config_file", default="/etc/footfall/edge.yaml", show_default=True,
              type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="one JSON object instead of lines")
@click.option("--offline", is_flag=True, help="skip the live checks: frames from the camera, a PUBACK from the broker")
def check(config_file: str, as_json: bool, offline: bool) -> None:
    """Verify secret, geometry, TLS files, models (each run once), frames and view, broker PUBACK; exit 1 on a failure."""
    from .selfcheck import run_checks

    results = run_checks(load_or_exit(config_file), live=not offline)
    if as_json:
        click.echo(json.dumps({r.name: {"ok": r.ok, "detail": r.detail} for r in results}))
    else:
        for r in results:
            click.echo(f"{'ok  ' if r.ok else 'FAIL'} {r.name}: {r.detail}", err=not r.ok)
    sys.exit(0 if all(r.ok for r in results) else 1)


@main.command()
@click.option("--config", "config_file", required=True, type=click.Path(dir_okay=False, exists=True))
@click.option("--source", required=True, type=click.Path(dir_okay=False, exists=True), help="video file")
@click.option("--events-out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="JSON lines: exactly the messages `run` would publish")
@click.option("--start", type=click.DateTime(formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S"]),
              help="wall-clock time of the first frame (default: VIDEO.json sidecar, else file mtime)")
@click.option("--progress/--no-progress", default=True)
def replay(config_file: str, source: str, events_out: Path, start, progress: bool) -> None:
    """Run the whole edge pipeline over a video file as fast as it can."""
    from .app import replay as run_replay

    cfg = load_or_exit(config_file)
    try:
        secret = cfg.read_site_secret()
    except SecretError as e:
        raise click.ClickException(f"{config_file}: {e}") from None
    summary = run_replay(cfg, source, events_out, secret, start.timestamp() if start else None, progress)
    click.echo(json.dumps(summary))


if __name__ == "__main__":
    main()
