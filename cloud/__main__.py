"""footfall-cloud: the aggregator's command line."""
from __future__ import annotations

from pathlib import Path

import click

from footfall.protocol.configfile import validate_config_command

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

    from footfall.protocol.configfile import ConfigError, load_config

    from .ingest.service import run

    logging.basicConfig(level=log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        cfg = load_config(config_file, CloudConfig)
    except ConfigError as e:
        for p in e.problems:
            click.echo(str(p), err=True)
        raise SystemExit(2) from None
    run(cfg)


from .api.cli import api_command, token_group  # noqa: E402  (the API's commands live with the API)

main.add_command(api_command)
main.add_command(token_group)

from .report.cli import report_group  # noqa: E402  (email reports: cloud/report)

main.add_command(report_group)


@main.command("sites")
@click.option("--inventory", required=True, type=click.Path(exists=True, path_type=Path),
              help="the edge units' inventory, e.g. ansible/inventories/<fleet>/hosts.yml")
@click.option("--vault-password-file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--into", "into_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="a cloud.yaml whose sites are replaced (the whole file is printed, validated)")
def sites_command(inventory: Path, vault_password_file: Path | None, into_file: Path | None) -> None:
    """Print cloud.yaml's sites (entrances, stores and their zones) from the edge inventory: ids cannot drift."""
    import yaml

    from .inventory import InventoryError, dump, generate

    try:
        into = yaml.safe_load(into_file.read_text()) if into_file else None
        click.echo(dump(generate(inventory, vault_password_file, into)), nl=False)
    except (InventoryError, ValueError) as e:
        raise click.ClickException(str(e)) from None

if __name__ == "__main__":
    main()
