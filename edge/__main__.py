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
@click.option("--config", "config_file", default="/etc/footfall/edge.yaml", show_default=True,
              type=click.Path(dir_okay=False))
@click.option("--host", default="127.0.0.1", show_default=True, help="reach it through an SSH tunnel (ssh -L)")
@click.option("--port", default=8090, show_default=True, type=click.IntRange(1, 65535))
@click.option("--timeout", "timeout_min", default=30.0, show_default=True, type=click.FloatRange(0.1, 240),
              help="minutes until the page and the preview stop by themselves")
@click.option("--acceptance", type=click.IntRange(1, 10000), help="count the next N crossings against your tally")
@click.option("--tally", help='acceptance: the true tally as "in=N,out=M" instead of typing it')
@click.option("--report", "report_file", type=click.Path(dir_okay=False, path_type=Path),
              help="write the commissioning report (Markdown) from what was recorded, then exit")
@click.option("--height", "height_m", type=click.FloatRange(0.5, 10), help="report: mounting height, m")
@click.option("--tilt", "tilt_deg", type=click.FloatRange(0, 90), help="report: tilt below horizontal, degrees")
@click.option("--fast", is_flag=True, help="file sources: as fast as possible (tests, demos)")
def commission(config_file: str, host: str, port: int, timeout_min: float, acceptance: int | None, tally: str | None,
               report_file: Path | None, height_m: float | None, tilt_deg: float | None, fast: bool) -> None:
    """Commissioning: a live aiming page (default), an acceptance test (--acceptance N) or the report (--report)."""
    from .commission import cli

    cfg = load_or_exit(config_file)
    try:
        if report_file is not None:
            cli.report(cfg, report_file, height_m, tilt_deg)
        elif acceptance is not None:
            sys.exit(cli.acceptance(cfg, acceptance, tally, timeout_min * 60, fast))
        else:
            cli.page(cfg, host, port, timeout_min * 60, fast)
    except (SecretError, ValueError, OSError) as e:
        raise click.ClickException(f"{config_file}: {e}") from None


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


@main.command("floor-map")
@click.option("--config", "config_file", default="/etc/footfall/edge.yaml", show_default=True,
              type=click.Path(dir_okay=False, exists=True))
def floor_map(config_file: str) -> None:
    """Print the heatmap's image -> floor mapping and its error per point, in metres (JSON)."""
    from .heatmap.describe import describe

    cfg = load_or_exit(config_file)
    if cfg.heatmap is None:
        raise click.ClickException(f"{config_file}: no `heatmap` section")
    click.echo(json.dumps(describe(cfg.heatmap), indent=1))


CONFIG = click.option("--config", "config_file", default="/etc/footfall/edge.yaml", show_default=True,
                      type=click.Path(dir_okay=False))


@main.command()
@CONFIG
@click.option("--list", "list_", required=True, type=click.Choice(["vip", "staff", "watchlist"]))
@click.option("--ref", required=True, help="opaque id (CRM number, staff number), never a name")
@click.option("--basis", required=True, help="id of the consent / legal-basis record")
@click.option("--expires", required=True, type=click.DateTime(formats=["%Y-%m-%d"]), help="last day (UTC) kept")
@click.option("--photos", type=click.Path(file_okay=False, exists=True, path_type=Path), help="folder of photos")
@click.option("--camera", type=click.IntRange(1, 50), help="instead of photos: take N frames from the camera")
def enroll(config_file: str, list_: str, ref: str, basis: str, expires, photos: Path | None, camera: int | None) -> None:
    """Enroll one consenting person (or one on a legal-basis watchlist) into the encrypted gallery."""
    from .recognition import cli

    if (photos is None) == (camera is None):
        raise click.UsageError("give exactly one of --photos DIR or --camera N")
    cfg = load_or_exit(config_file)
    try:
        click.echo(json.dumps(cli.enroll(cfg, list_, ref, basis, expires, photos, camera)))
    except SecretError as e:
        raise click.ClickException(f"{config_file}: {e}") from None


@main.command()
@CONFIG
@click.option("--ref", required=True)
def unenroll(config_file: str, ref: str) -> None:
    """Remove a person: the gallery file is rewritten without them (the audit log keeps only a keyed tag)."""
    from .recognition import cli

    store, _ = cli.gallery_of(load_or_exit(config_file))
    if not store.unenroll(ref):
        raise click.ClickException(f"no entry {ref!r}")
    click.echo(json.dumps({"removed": ref}))


@main.command()
@CONFIG
def galleries(config_file: str) -> None:
    """Enrolled refs per list with face counts and expiry; never a face."""
    from .recognition import cli

    store, _ = cli.gallery_of(load_or_exit(config_file))
    click.echo(json.dumps(store.summary(), indent=1))


@main.command()
@CONFIG
@click.option("--ref", required=True)
@click.option("--wrong", is_flag=True, required=True, help="the match was wrong: record it, raise this entry's threshold")
def feedback(config_file: str, ref: str, wrong: bool) -> None:
    """'That was wrong': a false match is audited and that entry needs a higher similarity from now on."""
    from .recognition import cli

    click.echo(json.dumps(cli.feedback_wrong(load_or_exit(config_file), ref)))


if __name__ == "__main__":
    main()
