"""footfall-edge: the edge unit's command line."""
from __future__ import annotations

import sys

import click

from protocol.configfile import validate_command

from . import __version__
from .config import EdgeConfig


@click.group()
@click.version_option(__version__)
def main() -> None:
    """Footfall edge unit: counts people on the device and publishes anonymous events over MQTT."""


@main.command("validate-config")
@click.argument("file", type=click.Path(dir_okay=False))
def validate_config(file: str) -> None:
    """Check an edge YAML config; errors are printed as FILE:LINE: field: reason (exit 2)."""
    sys.exit(validate_command(file, EdgeConfig))


if __name__ == "__main__":
    main()
