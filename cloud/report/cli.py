"""`footfall-cloud report daily|weekly|monthly --date D [--store S] [--dry-run OUT] [--force]` and `report due`."""
from __future__ import annotations

import logging
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import click

from footfall.protocol.configfile import ConfigError, load_config

_config = click.option("--config", "config_file", default="/etc/footfall/cloud.yaml", show_default=True,
                       type=click.Path(dir_okay=False))
_log = click.option("--log-level", default="INFO", type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]))


def _load(config_file: str, log_level: str):
    from footfall.cloud.config import CloudConfig

    logging.basicConfig(level=log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return load_config(config_file, CloudConfig)
    except ConfigError as e:
        for p in e.problems:
            click.echo(str(p), err=True)
        raise SystemExit(2) from None


def _date(ctx, param, value: str | None) -> date:
    if value is None:
        return date.today() - timedelta(days=1)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


def _summary(outcome) -> None:
    for k in outcome.sent:
        click.echo(f"sent     {k}")
    for k in outcome.skipped:
        click.echo(f"skipped  {k} (already sent or no recipients; --force resends)")
    for k, e in outcome.failed:
        click.echo(f"FAILED   {k}: {e}", err=True)
    for p in outcome.written:
        if p.suffix == ".html":
            click.echo(f"wrote    {p}")


def _kind_command(kind: str):
    @click.command(kind, help=f"Build and send the {kind} report of the period holding --date (default yesterday).")
    @_config
    @click.option("--date", "day", callback=_date, help="a day of the period, YYYY-MM-DD (default: yesterday)")
    @click.option("--store", help="only this store (default: every store with recipients)")
    @click.option("--dry-run", "dry_run", type=click.Path(file_okay=False, path_type=Path),
                  help="write .eml/.html/.txt/.png into this folder instead of sending")
    @click.option("--force", is_flag=True, help="send again what the ledger says was sent")
    @_log
    def command(config_file, day, store, dry_run, force, log_level):
        from footfall.cloud.ingest.service import influx_from

        from .run import run

        cfg = _load(config_file, log_level)
        try:
            outcome = run(cfg, influx_from(cfg), kind, day, store=store, dry_run=dry_run, force=force)
        except ValueError as e:
            raise click.UsageError(str(e)) from None
        _summary(outcome)
        sys.exit(0 if outcome.ok else 1)

    return command


@click.group("report")
def report_group() -> None:
    """Email reports: daily store summaries, weekly / monthly reports and the chain roll-up (docs/reports.md)."""


for _kind in ("daily", "weekly", "monthly"):
    report_group.add_command(_kind_command(_kind))


@report_group.command("due")
@_config
@click.option("--now", "now_s", help="pretend it is this UTC time (ISO 8601), for a test or a catch-up")
@_log
def due_command(config_file, now_s, log_level):
    """Send every report that is due (run by footfall-report.timer every 15 minutes)."""
    from footfall.cloud.ingest.service import influx_from

    from .ledger import Ledger
    from .run import run
    from .schedule import due

    cfg = _load(config_file, log_level)
    now = datetime.fromisoformat(now_s).replace(tzinfo=timezone.utc) if now_s else datetime.now(timezone.utc)
    ledger = Ledger(Path(cfg.state_dir))
    todo = due(cfg, ledger, now)
    ledger.close()
    ok = True
    db = influx_from(cfg)
    batches: dict[tuple, list] = {}  # one run per report and period: a site's figures are read once for all its stores
    for item in todo:
        batches.setdefault((item.kind, item.day), []).append(item)
    for (kind, day), items in batches.items():
        stores = {(i.site, i.store) for i in items if i.store is not None}
        chain = any(i.store is None for i in items)
        outcome = run(cfg, db, kind, day, only=stores, chain=chain, now=now)
        _summary(outcome)
        ok &= outcome.ok
    if not todo:
        click.echo("nothing due")
    sys.exit(0 if ok else 1)
