"""footfall-cloud: the aggregator's command line."""
from __future__ import annotations

import signal
import threading
from pathlib import Path

import click

from protocol.configfile import validate_config_command

from . import __version__
from .config import CloudConfig


@click.group()
@click.version_option(__version__)
def main() -> None:
    """Footfall cloud aggregator: MQTT ingest, visitor linking, InfluxDB, dashboard and reports."""


main.add_command(validate_config_command(CloudConfig, "a cloud"))


@main.command()
@click.option("--config", "config_file", default="/etc/footfall/cloud.yaml", show_default=True,
              type=click.Path(dir_okay=False))
@click.option("--log-level", default="INFO", type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]))
def ingest(config_file: str, log_level: str) -> None:
    """MQTT ingest: validate, dedupe, park bad messages, store aggregates in InfluxDB (never a code)."""
    import logging

    from protocol.configfile import ConfigError, load_config

    from .ingest.service import run

    logging.basicConfig(level=log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        cfg = load_config(config_file, CloudConfig)
    except ConfigError as e:
        for p in e.problems:
            click.echo(str(p), err=True)
        raise SystemExit(2) from None
    run(cfg)


@main.group()
def services() -> None:
    """Local mosquitto + influxd for development, the demo and tests (installs the Debian packages if missing)."""


@services.command("up")
@click.option("--dir", "root", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="all data, configs and logs go here")
@click.option("--detach", is_flag=True, help="return once both answer; stop them later with `services down`")
def services_up(root: Path, detach: bool) -> None:
    """Start both servers on free loopback ports and print their URLs; Ctrl-C stops them."""
    from .local_services import LocalServices, ServiceError

    local = LocalServices(root)
    try:
        local.up()
    except ServiceError as e:
        raise click.ClickException(str(e)) from None
    for s in local.services:
        click.echo(f"{s.name:10} {s.url}")
    if detach:
        return
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    click.echo("running; Ctrl-C to stop", err=True)
    try:
        while not stop.wait(1.0):
            for s in local.services:
                if not s.running:
                    click.echo(f"{s.name} exited; see {s.dir / (s.name + '.log')}", err=True)
                    stop.set()
    except KeyboardInterrupt:
        pass
    local.down()
    click.echo("stopped", err=True)


@services.command("down")
@click.option("--dir", "root", required=True, type=click.Path(file_okay=False, path_type=Path))
def services_down(root: Path) -> None:
    """Stop the servers started with `services up --dir DIR`."""
    from .local_services import LocalServices

    LocalServices(root).down()
    click.echo("stopped")


if __name__ == "__main__":
    main()
