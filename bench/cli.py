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
@click.option("--crowd", type=click.Choice(["none", "light", "dense", "hard"]),
              help="crowd preset (docs/scenes.md): dense = 30 entries/min, up to 4 in view, groups, occlusion, ...; "
                   "hard = 40/min, up to 6 in view, groups of 4, more hesitations")
@click.option("--start", help="wall-clock time of the first frame, ISO 8601 with its offset (default: the spec's)")
def render(faces: Path, out: Path, spec_file: str | None, devices: str | None, **overrides) -> None:
    """Render scenes with ground truth: one video and edge config per device, and truth.json."""
    from tqdm import tqdm

    from footfall.protocol.configfile import ConfigError

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


@main.command()
@click.option("--height", "height_m", required=True, type=float, help="camera height above the floor, m")
@click.option("--tilt", "tilt_deg", required=True, type=float, help="degrees below horizontal")
@click.option("--hfov", "hfov_deg", default=66.0, show_default=True, help="horizontal field of view, degrees (Camera Module 3: 66, Wide: 102)")
@click.option("--vfov", "vfov_deg", default=41.0, show_default=True, help="vertical field of view, degrees (Camera Module 3: 41, Wide: 67)")
@click.option("--resolution", default="1280x720", show_default=True, help="COLUMNSxROWS")
@click.option("--from", "start_m", default=0.5, show_default=True, help="walking path start, m from the camera (horizontal)")
@click.option("--to", "end_m", default=8.0, show_default=True)
@click.option("--step", "step_m", default=0.5, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def placement(height_m, tilt_deg, hfov_deg, vfov_deg, resolution, start_m, end_m, step_m, as_json) -> None:
    """Face size along a walking path and whether detection and embedding will work there."""
    import json

    from .placement import Camera, path, summary

    try:
        columns, rows = (int(v) for v in resolution.lower().split("x"))
    except ValueError:
        raise click.BadParameter(f"{resolution!r} is not COLUMNSxROWS", param_hint="--resolution") from None
    result = summary(path(Camera(height_m, tilt_deg, hfov_deg, vfov_deg, columns, rows), start_m, end_m, step_m))
    if as_json:
        click.echo(json.dumps(result, indent=1))
        return
    click.echo(f"{'m':>5} {'face px':>8} {'row':>6} {'pitch':>6}  full  short  embed")
    for s in result["spots"]:
        mark = lambda b: "  yes" if b else "    -"  # noqa: E731
        view = "" if s["in_view"] else "  (out of view)"
        click.echo(f"{s['distance_m']:5.1f} {s['face_px']:8.1f} {s['image_y']:6.0f} {s['pitch_deg']:6.1f} "
                   f"{mark(s['full_range'])} {mark(s['short_range'])}  {mark(s['embedding'])}{view}")
    click.echo(f"detection (full range): {result['full_range_m']}  embedding: {result['embedding_m']}  "
               f"recommended detector: {result['recommended_detector']}")


from .demo import main as demo  # noqa: E402 - one command per module

from .evaluate import main as evaluate  # noqa: E402
from .crossings import main as crossings  # noqa: E402
from .codes import main as codes  # noqa: E402

from .heatmap import main as heatmap  # noqa: E402
from .audience import main as audience  # noqa: E402

main.add_command(audience, "audience")
main.add_command(demo, "demo")
main.add_command(heatmap, "heatmap")
main.add_command(evaluate, "evaluate")
main.add_command(crossings, "crossings")
main.add_command(codes, "codes")

from .recognition import main as recognition  # noqa: E402

main.add_command(recognition, "recognition")

if __name__ == "__main__":
    main()
