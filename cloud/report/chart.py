"""The hourly (or daily) chart of a report: this period's visitors in as bars, the compared period as a line. A PNG
for an inline CID image: mail clients show no scripts or external images."""
from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")  # no display; set before pyplot is imported
import matplotlib.pyplot as plt  # noqa: E402

from footfall.cloud.query.privacy import K  # noqa: E402

BAR = "#2f6fb3"
LINE = "#e07b00"

_fig = None  # one figure reused for every chart: building a new one costs more than drawing


def render_png(labels: list[str], now: list[float | None], other: list[float | None], *, now_label: str,
               other_label: str, width_px: int = 600, height_px: int = 250, scale: int = 2) -> bytes:
    """Bars for `now`, a line for `other`; None values (fewer than K visitors) are drawn as a hatched stub, not a
    number."""
    global _fig
    dpi = 100 * scale  # drawn at `scale` times the size it is shown at: sharp on phones and retina screens
    if _fig is None:
        _fig = plt.figure(figsize=(width_px / 100, height_px / 100), dpi=dpi)
    fig = _fig
    fig.clf()
    fig.set_size_inches(width_px / 100, height_px / 100)
    ax = fig.add_axes((0.08, 0.13, 0.9, 0.72))
    x = list(range(len(labels)))
    vals = [v if v is not None else 0.0 for v in now]
    ax.bar(x, vals, color=BAR, width=0.75, label=now_label, zorder=2)
    hidden = [i for i, v in enumerate(now) if v is None]
    if hidden:
        ax.bar(hidden, [K] * len(hidden), color="none", edgecolor="#9aa7b4", hatch="///", width=0.75, zorder=2,
               linewidth=0.5, label=f"<{K} (not shown)")
    if other and any(v is not None for v in other):
        ax.plot(x, [v if v is not None else float("nan") for v in other], color=LINE, linewidth=2, marker="o",
                markersize=3, label=other_label, zorder=3)
    step = 1 if len(labels) <= 12 else 2 if len(labels) <= 24 else 3
    ax.set_xticks(x[::step], labels[::step], fontsize=10)
    ax.tick_params(axis="y", labelsize=10)
    ax.set_xlim(-0.6, len(labels) - 0.4)
    ax.set_ylim(bottom=0)
    ax.grid(axis="y", color="#e3e7eb", zorder=0)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    handles, names = ax.get_legend_handles_labels()
    order = sorted(range(len(names)), key=lambda i: names[i] != now_label)  # this period first
    ax.legend([handles[i] for i in order], [names[i] for i in order], loc="lower center", bbox_to_anchor=(0.5, 1.0),
              ncol=3, frameon=False, fontsize=10)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()
