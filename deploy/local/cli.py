"""footfall-dev: local mosquitto + influxd for development, the demo and tests (never installed on a unit)."""
from __future__ import annotations

import signal
import threading
from pathlib import Path

import click


@click.group()
def main() -> None:
    """Development tools that install and run servers on this machine."""


@main.group()
def services() -> None:
    """Local mosquitto + influxd for development, the demo and tests (installs the Debian packages if missing)."""


@services.command("up")
@click.option("--dir", "root", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="all data, configs and logs go here")
@click.option("--detach", is_flag=True, help="return once both answer; stop them later with `services down`")
def services_up(root: Path, detach: bool) -> None:
    """Start both servers on free loopback ports and print their URLs; Ctrl-C stops them."""
    from .services import LocalServices, ServiceError

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
    from .services import LocalServices

    LocalServices(root).down()
    click.echo("stopped")


if __name__ == "__main__":
    main()
