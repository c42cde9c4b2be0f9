"""`footfall-cloud api` and `footfall-cloud token ...` (added to the CLI in cloud/__main__.py)."""
from __future__ import annotations

import sys
from datetime import datetime

import click

from .tokens import ROLES

CONFIG = click.option("--config", "config_file", default="/etc/footfall/cloud.yaml", show_default=True,
                      type=click.Path(dir_okay=False))


def _load(config_file: str):
    from footfall.cloud.config import CloudConfig
    from footfall.protocol.configfile import ConfigError, load_config

    try:
        return load_config(config_file, CloudConfig)
    except ConfigError as e:
        for p in e.problems:
            click.echo(str(p), err=True)
        sys.exit(2)


@click.command("api")
@CONFIG
@click.option("--log-level", default="INFO", type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]))
def api_command(config_file: str, log_level: str) -> None:
    """REST API and dashboard (waitress on api.host:api.port)."""
    import logging

    from .app import serve

    logging.basicConfig(level=log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    serve(_load(config_file))


@click.group("token")
def token_group() -> None:
    """API tokens and web logins: roles admin, analyst, manager (--store ...), installer, security, crm."""


def _store(cfg):
    from pathlib import Path

    from .tokens import TokenStore

    return TokenStore(Path(cfg.state_dir) / "api.sqlite")


@token_group.command("create")
@CONFIG
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--store", "stores", multiple=True, help="a store a manager may see (repeatable)")
@click.option("--login", is_flag=True, help="a web login (name + password) instead of an API token")
@click.option("--password-stdin", is_flag=True, help="with --login: read the password from stdin instead of making one")
def create(config_file: str, name: str, role: str, stores: tuple[str, ...], login: bool, password_stdin: bool) -> None:
    """Make a token (or a login) and print its secret once; only a hash is kept."""
    from .tokens import TokenError

    cfg = _load(config_file)
    known = {s.id for site in cfg.sites for s in site.stores}
    for s in stores:
        if s not in known:
            raise click.BadParameter(f"{s!r} is not a store of {config_file}", param_hint="--store")
    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    try:
        secret = _store(cfg).create(name, role, stores, login=login, password=password)
    except TokenError as e:
        raise click.UsageError(str(e)) from None
    if not password_stdin:
        click.echo(secret)


@token_group.command("list")
@CONFIG
def list_(config_file: str) -> None:
    """Names, kinds, roles, stores, created and revoked (never a secret)."""
    for p in _store(_load(config_file)).list():
        when = datetime.fromtimestamp(p["created"]).isoformat(timespec="seconds")
        revoked = f" revoked {datetime.fromtimestamp(p['revoked']).isoformat(timespec='seconds')}" if p["revoked"] else ""
        click.echo(f"{p['name']}\t{p['kind']}\t{p['role']}\t{','.join(p['stores']) or '-'}\t{when}{revoked}")


@token_group.command("revoke")
@CONFIG
@click.argument("name")
def revoke(config_file: str, name: str) -> None:
    """Revoke a token or login at once (its sessions end at their next request)."""
    if not _store(_load(config_file)).revoke(name):
        raise click.ClickException(f"no valid token or login named {name!r}")
    click.echo(f"revoked {name}")
