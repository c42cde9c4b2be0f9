"""The hourly (or daily) chart of a report: this period's visitors in as bars, the compared period as a line. A PNG
for an inline CID image: mail clients show no scripts or external images.

Reports for hundreds of stores draw the same chart with other numbers, so a figure per bucket layout is built once
and only its bar heights, line, limits and legend texts change between charts (building the axes and ticks costs
more than drawing them)."""
from __future__ import annotations

import io
import math
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")  # no display
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from PIL import Image  # noqa: E402

from footfall.cloud.query.privacy import K  # noqa: E402

BAR = "#2f6fb3"
LINE = "#e07b00"
HIDDEN = "#9aa7b4"
PALETTE = 64


@dataclass
class _Layout:
    fig: Figure
    canvas: FigureCanvasAgg
    ax: object
    bars: list
    stubs: list
    line: object
    legend: object


_layouts: dict[tuple, _Layout] = {}


def _layout(labels: tuple[str, ...], with_line: bool, width_px: int, height_px: int, scale: int) -> _Layout:
    key = (labels, with_line, width_px, height_px, scale)
    if key in _layouts:
        return _layouts[key]
    fig = Figure(figsize=(width_px / 100, height_px / 100), dpi=100 * scale)  # no pyplot: nothing global to leak
    ax = fig.add_axes((0.09, 0.14, 0.89, 0.70))
    x = list(range(len(labels)))
    bars = list(ax.bar(x, [0] * len(x), color=BAR, width=0.75, label="now", zorder=2))
    stubs = list(ax.bar(x, [0] * len(x), color="none", edgecolor=HIDDEN, hatch="///", width=0.75, zorder=2,
                        linewidth=0.5, label=f"<{K} (not shown)"))
    (line,) = ax.plot(x, [0] * len(x), color=LINE, linewidth=2, marker="o", markersize=3, label="before", zorder=3)
    line.set_visible(with_line)
    step = max(1, math.ceil(len(labels) / 8))  # at most 8 labels: legible when a phone shows the chart at half size
    ax.set_xticks(x[::step], list(labels[::step]), fontsize=12)
    ax.tick_params(axis="y", labelsize=12)
    ax.set_xlim(-0.6, len(labels) - 0.4)
    ax.grid(axis="y", color="#e3e7eb", zorder=0)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    handles = [bars[0]] + ([line] if with_line else [])
    legend = ax.legend(handles, ["now", "before"][: len(handles)], loc="lower center", bbox_to_anchor=(0.5, 1.0),
                       ncol=3, frameon=False, fontsize=12)
    _layouts[key] = lay = _Layout(fig, FigureCanvasAgg(fig), ax, bars, stubs, line, legend)
    return lay


def _top(v: float) -> float:
    """A round upper limit a little above v."""
    if v <= 0:
        return 5.0
    mag = 10 ** math.floor(math.log10(v * 1.1))
    return math.ceil(v * 1.1 / mag * 2) / 2 * mag


def render_png(labels: list[str], now: list[float | None], other: list[float | None], *, now_label: str,
               other_label: str, width_px: int = 600, height_px: int = 250, scale: int = 2) -> bytes:
    """Bars for `now`, a line for `other`; None values (a figure resting on fewer than K visitors) are drawn as a
    hatched stub, not a number. Drawn at `scale` times the shown size: sharp on phones and retina screens."""
    with_line = bool(other) and any(v is not None for v in other)
    lay = _layout(tuple(labels), with_line, width_px, height_px, scale)
    for rect, stub, v in zip(lay.bars, lay.stubs, now):
        rect.set_height(v or 0.0)
        rect.set_visible(bool(v))  # an empty bar still costs a draw
        stub.set_height(K)
        stub.set_visible(v is None)
    if with_line:
        lay.line.set_ydata([v if v is not None else float("nan") for v in other])
    texts = lay.legend.get_texts()
    texts[0].set_text(now_label)
    if with_line:
        texts[1].set_text(other_label)
    peak = max([v for v in list(now) + list(other or []) if v is not None] or [0])
    lay.ax.set_ylim(0, _top(peak))
    lay.canvas.draw()
    # A chart has a handful of colours: a 64-colour palette PNG is a third of the size of the RGBA one (smaller
    # emails) and as quick to make, the palette costing what the smaller image saves in compression.
    image = Image.frombuffer("RGBA", lay.canvas.get_width_height(physical=True), lay.canvas.buffer_rgba())
    small = image.convert("RGB").quantize(PALETTE, method=Image.Quantize.FASTOCTREE)
    palette = small.getpalette()
    i = small.getpixel((0, 0))  # the corner is background: octree leaves it off-white, which shows against the mail
    palette[3 * i:3 * i + 3] = [255, 255, 255]
    small.putpalette(palette)
    buf = io.BytesIO()
    small.save(buf, format="PNG")
    return buf.getvalue()
