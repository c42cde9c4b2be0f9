"""A Report -> the email: HTML (inline CSS, table layout, the chart as an inline CID image) and a plain-text part.

MIME: multipart/alternative [ text/plain, multipart/related [ text/html, image/png ] ], the layout mail clients
expect for an HTML mail with embedded images and a text fallback."""
from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import jinja2

from footfall.cloud.query.privacy import K, SUPPRESSED, suppress

from . import templates
from .chart import render_png
from .floor_map import busiest, floor_png
from .figures import Report, _change, chart_series, rows

_env = jinja2.Environment(autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
                          undefined=jinja2.StrictUndefined, trim_blocks=False)
_html = _env.from_string(templates.HTML)
_text = jinja2.Environment(autoescape=False, undefined=jinja2.StrictUndefined).from_string(templates.TEXT)

HEADINGS = {"daily": "Daily summary", "weekly": "Weekly report", "monthly": "Monthly report"}
CHART_CID_DOMAIN = "footfall.report"


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    html: str
    text: str
    png: bytes | None
    chart_cid: str | None
    floor_png: bytes | None = None  # the weekly report's floor map (floor_map.py)
    floor_cid: str | None = None


def _now_label(r: Report) -> str:
    if r.kind == "daily":
        return r.start.strftime("%a %d %b")
    return "this week" if r.kind == "weekly" else "this month"


def _text_chart(labels: list[str], now: list[float | None], other: list[float | None]) -> list[str]:
    peak = max([v for v in now + other if v is not None] or [0]) or 1
    out = []
    for i, lab in enumerate(labels):
        v = now[i]
        o = other[i] if i < len(other) else None
        if v == 0 and (o in (None, 0)):
            continue
        bar = "#" * round(20 * (v or 0) / peak)
        out.append(f"{lab}  {bar:<20} {SUPPRESSED if v is None else int(v):>6}  ({SUPPRESSED if o is None and other else '' if not other else int(o)})")
    return out


def _store_rows(r: Report) -> list[dict]:
    out = []
    label = r.comparisons[0][0] if r.comparisons else ""
    for name, now, before in r.stores:
        # door tallies, shown as they are (kanon.py), like the store reports' "Visitors in"
        cell = suppress(now.visitors_in, 0, "{:,}")
        prev = suppress(before.visitors_in if before else None, 0)
        out.append({"name": name, "value": cell.display, "change": _change(label, cell, prev)})
    return out


def render(r: Report, *, chart: bool = True) -> RenderedEmail:
    table = rows(r)
    labels, now, other = chart_series(r)
    compare_labels = [label for label, _ in r.comparisons]
    other_label = compare_labels[r.chart_compare] if compare_labels else ""
    png = cid = None
    if chart and labels:
        png = render_png(labels, now, other, now_label=_now_label(r), other_label=other_label)
        cid = make_msgid("chart", domain=CHART_CID_DOMAIN)[1:-1]
    map_png = map_cid = None
    if chart and r.floor is not None and (map_png := floor_png(r.floor)) is not None:
        map_cid = make_msgid("floor", domain=CHART_CID_DOMAIN)[1:-1]
    ctx = dict(
        subject=subject(r, table), heading=HEADINGS[r.kind], title=r.title, period_label=r.period_label, kind=r.kind,
        quality=[q.text() for q in r.quality], rows=table, compare_labels=compare_labels, now_label=_now_label(r),
        chart_cid=cid, chart_other_label=other_label, bucket=r.bucket, stores=_store_rows(r), notes=r.notes, k=K,
        tz=r.start.tzname() if r.start.tzinfo else "", chart_text=_text_chart(labels, now, other) if labels else [],
        floor_cid=map_cid, floor_text=busiest(r.floor) if r.floor is not None else [],
    )
    return RenderedEmail(ctx["subject"], _html.render(ctx), _text.render(ctx), png, cid, map_png, map_cid)


def subject(r: Report, table=None) -> str:
    table = table if table is not None else rows(r)
    visitors = next((row.cell.display for row in table if row.key == "visitors_in"), "–")
    warn = " (data incomplete)" if r.quality else ""
    return f"{r.title}, {r.period_label}: {visitors} visitors in{warn}"


def to_message(r: Report, email: RenderedEmail, *, sender: str, recipients: list[str], key: str) -> EmailMessage:
    """`key` names the report (site/store/kind/period) in a header: what the ledger records and tests look up."""
    msg = EmailMessage()
    msg["Subject"] = email.subject
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid("report", domain=CHART_CID_DOMAIN)
    msg["X-Footfall-Report"] = key
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: out-of-office replies stay away
    msg.set_content(email.text)
    msg.add_alternative(email.html, subtype="html")
    if email.png is not None:
        html_part = msg.get_payload()[1]
        html_part.add_related(email.png, "image", "png", cid=f"<{email.chart_cid}>", filename="visitors.png",
                              disposition="inline")
    if email.floor_png is not None:
        msg.get_payload()[1].add_related(email.floor_png, "image", "png", cid=f"<{email.floor_cid}>",
                                         filename="floor.png", disposition="inline")
    return msg


__all__ = ["RenderedEmail", "render", "subject", "to_message"]
