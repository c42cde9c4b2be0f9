"""What a report says, as plain values: one period's totals for a store (or the chain), the periods it is compared
with, and the data-quality notes. Filled from InfluxDB by footfall.cloud.query.report_figures; rendered by
render.py. Suppression ("<5") is decided here, once, through footfall.cloud.query.privacy."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from footfall.cloud.query.privacy import Cell, suppress
from footfall.cloud.query.report_figures import Totals

Kind = str  # "daily" | "weekly" | "monthly"


@dataclass(frozen=True)
class QualityNote:
    device: str
    what: str                      # "offline", "camera frozen", "clock not synced", "sent no counts"
    start: datetime | None = None  # local
    end: datetime | None = None
    ongoing: bool = False          # still so when the report was made
    dated: bool = False            # a report over several days names the day

    def text(self) -> str:
        when = ""
        if self.start:
            fmt = "%a %d %b %H:%M" if self.dated else "%H:%M"
            end_fmt = "%H:%M" if self.end and self.end.date() == self.start.date() else "%a %d %b %H:%M"
            if self.ongoing:
                when = f" since {self.start.strftime(fmt)}"
            elif self.end:
                when = f" {self.start.strftime(fmt)}-{self.end.strftime(end_fmt if self.dated else '%H:%M')}"
        low = ", counts may be low" if self.what in ("offline", "sent no counts") or self.what.startswith("camera") else ""
        low = ": no figures" if self.what.startswith("has no counting unit") else low
        return f"{self.device} {self.what}{when}{low}"


@dataclass(frozen=True)
class Report:
    kind: Kind
    site: str
    site_name: str
    store: str | None             # None: the chain roll-up
    title: str                    # "store-a · Mall West"
    period_label: str             # "Monday 23 November 2026", "Week 48, 2026", "November 2026"
    start: datetime               # local
    end: datetime
    bucket: str                   # "hour" (daily) or "day"
    current: Totals
    comparisons: list[tuple[str, Totals]]   # ("previous day", totals), ("same day last week", totals)
    chart_compare: int = -1       # which comparison is the chart's second line
    quality: list[QualityNote] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)   # e.g. why weekly distinct visitors are not shown
    stores: list[tuple[str, Totals, Totals | None]] = field(default_factory=list)  # chain: (store, now, before)
    floor: dict | None = None     # weekly, a store with a floor plan: the k-blanked grid (cloud/query/floor.py)


# ---- the rows an email shows, with "<5" applied ------------------------------------------------------------

@dataclass(frozen=True)
class Change:
    label: str
    display: str    # "▲ 12%", "▼ 3%", "= 0%", "–"
    direction: int  # +1, -1, 0; 0 also when not comparable


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    cell: Cell
    changes: list[Change]


def _fmt_duration(s: float) -> str:
    s = round(s)
    return f"{s // 60} min {s % 60:02d} s" if s >= 60 else f"{s} s"


def _pct(x: float) -> str:
    return f"{x * 100:.0f}%"


def _money(x: float) -> str:
    return f"{x:,.2f}"


TALLY = -1  # "rests on" for tallies counted on the device (crossings, occupancy, passers): shown as they are, as
# kanon.py does for the API and dashboard; figures derived per visitor rest on their visitors and go "<5" below K.
SHARES = ("returning_share", "conversion", "delighted_share")  # compared in percentage points, not as a percentage of a percentage


# Each figure: (key, label, value, visitors it rests on (TALLY: none), formatter).
def _figures(t: Totals, bucket: str = "hour") -> list[tuple[str, str, float | int | None, int | None, callable]]:
    peak = t.peak
    entrance = t.busiest_entrance
    top_band = t.top_age_band
    return [
        ("visitors_in", "Visitors in", t.visitors_in, TALLY, lambda v: f"{v:,}"),
        ("unique", "Unique visitors", t.unique, t.unique, lambda v: f"{v:,}"),
        ("returning_share", "Returning share", t.returning_share, t.returning if t.unique else None, _pct),
        ("peak", "Peak hour" if bucket == "hour" else "Busiest day", peak[1] if peak else None, TALLY,
         lambda v: f"{peak[0].strftime('%H:00' if bucket == 'hour' else '%a %d %b')} ({v:,} in)"),
        ("max_occupancy", "Max occupancy", t.max_occupancy, TALLY, lambda v: f"{v:,}"),
        ("avg_dwell", "Average dwell", t.avg_dwell_s, t.dwell_n if t.dwell_n else None, _fmt_duration),
        ("conversion", "Conversion", t.conversion, t.conversion_base if t.transactions is not None else None, _pct),
        ("revenue", "Revenue", t.revenue, TALLY, _money),
        ("busiest_entrance", "Busiest entrance", entrance[1] if entrance else None, TALLY,
         lambda v: f"{entrance[0]} ({v:,} in)"),
        ("display_viewers", "Display viewers", t.viewers, t.viewers, lambda v: f"{v:,} of {t.passers or 0:,} passing"),
        ("avg_look", "Average look", t.avg_look_s, t.viewers, lambda v: f"{v:.1f} s"),
        # opt-in audience insights: each rests on the people in it, so "<5" below K like any visitor figure
        ("delighted_share", "Delighted viewers", t.delighted_share, t.delighted if t.looks else None,
         lambda v: f"{v * 100:.0f}% of {t.looks:,} looks"),
        ("top_age_band", "Largest age group", top_band[1] if top_band else None, top_band[1] if top_band else None,
         lambda v: f"{top_band[0]} ({v:,} people)"),
    ]


def _cell(value, n, fmt) -> Cell:
    if value is not None and n == TALLY:
        return Cell(value, False, fmt(value))
    cell = suppress(value, n)
    return Cell(cell.value, False, fmt(cell.value)) if cell.value is not None else cell


def _change(label: str, now: Cell, before: Cell, points: bool = False) -> Change:
    if now.value is None or before.value is None or now.suppressed or before.suppressed:
        return Change(label, "–", 0)
    if points:
        d = (now.value - before.value) * 100
        if abs(d) < 0.5:
            return Change(label, "= 0 pts", 0)
        n = round(abs(d))
        return Change(label, f"{'▲' if d > 0 else '▼'} {n} pt{'s' if n != 1 else ''}", 1 if d > 0 else -1)
    if before.value == 0:
        return Change(label, "new" if now.value else "= 0%", 1 if now.value else 0)
    r = (now.value - before.value) / abs(before.value)
    if abs(r) < 0.005:
        return Change(label, "= 0%", 0)
    return Change(label, f"{'▲' if r > 0 else '▼'} {abs(r) * 100:.0f}%", 1 if r > 0 else -1)


def rows(report: Report) -> list[Row]:
    """The figures of the summary table, suppressed where they rest on fewer than K visitors, each with its changes.
    A figure with no data now and before (no POS, no display) is left out."""
    now = _figures(report.current, report.bucket)
    before = [(label, _figures(t, report.bucket)) for label, t in report.comparisons]
    out = []
    for i, (key, label, value, n, fmt) in enumerate(now):
        cell = _cell(value, n, fmt)
        if value is None and all(b[i][2] is None for _, b in before):
            continue
        changes = []
        for clabel, figs in before:
            _, _, bv, bn, bfmt = figs[i]
            changes.append(_change(clabel, cell, _cell(bv, bn, bfmt), points=key in SHARES))
        # Peak hour and busiest entrance compare their counts, not their names: a change of hour is shown by the text.
        out.append(Row(key, label, cell, changes))
    return out


def chart_series(report: Report) -> tuple[list[str], list[float | None], list[float | None]]:
    """Bucket labels, this period's visitors in and the compared period's. Door crossings are tallies, shown as
    they are (kanon.py); None marks a hidden bucket should a figure resting on visitors ever be charted."""
    def hide(v: int) -> float | None:
        return float(v)

    fmt = {"daily": "%H", "weekly": "%a %d"}.get(report.kind, "%d")
    labels = [b.strftime(fmt) for b, _ in report.current.buckets]
    now = [hide(v) for _, v in report.current.buckets]
    other: list[float | None] = []
    compared = report.comparisons[report.chart_compare][1] if report.comparisons else None
    if compared is not None and compared.visitors_in is not None and report.current.buckets:  # no data: no line
        ref = compared.buckets
        other = [hide(v) for _, v in ref][: len(now)]
        other += [None] * (len(now) - len(other))
    return labels, now, other
