"""footfall-bench: scene renderer, benchmarks and installer tools."""
from __future__ import annotations

from pathlib import Path

import click


@click.group()
def main() -> None:
    """Footfall benchmarks and tools (render scenes, placement calculator)."""


@main.command()
@click.option("--faces", required=True, type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="folder of identity photos, one subfolder per identity")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--spec", "spec_file", type=click.Path(dir_okay=False, exists=True), help="scene spec YAML (docs/scenes.md)")
@click.option("--seed", type=int)
@click.option("--visitors", type=int)
@click.option("--duration", "duration_s", type=float, help="seconds")
@click.option("--devices", help="comma-separated device ids, e.g. entrance,store-a,store-b,display")
@click.option("--return-fraction", type=float)
@click.option("--blur", type=float)
@click.option("--noise", type=float)
def render(faces: Path, out: Path, spec_file: str | None, devices: str | None, **overrides) -> None:
    """Render scenes with ground truth: one video and edge config per device, and truth.json."""
    from tqdm import tqdm

    from protocol.configfile import ConfigError

    from .render import render_scene
    from .render.spec import load_spec

    try:
        spec = load_spec(spec_file, devices=devices.split(",") if devices else None, **overrides)
    except ConfigError as e:
        raise click.ClickException(str(e)) from None
    total = int(round(spec.duration_s * spec.fps)) * len(spec.devices)
    with tqdm(total=total, unit="frame", desc="render") as bar:
        truth = render_scene(spec, faces, out, progress=bar.update)
    crossings = sum(len(d["crossings"]) for d in truth["devices"].values())
    click.echo(f"{out}: {len(truth['visitors'])} visitors, {len(truth['devices'])} devices, {crossings} line crossings")


if __name__ == "__main__":
    main()
