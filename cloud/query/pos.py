"""Point-of-sale uploads (transactions and revenue per store and period) and conversion = transactions / visitors."""
from __future__ import annotations

import csv
import io
import json
from datetime import datetime

from footfall.cloud.store.points import pos_points

from .influxql import lit
from .intervals import RangeError, TimeRange, parse_when
from .kanon import k_count, k_ratio
from .series import merged, sums, table
from .sites import Directory
from .visitors import meaning

MAX_ROWS = 50_000


class UploadError(ValueError):
    """A bad upload; `field` names the column (with the row: rows[3].transactions)."""

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def parse_upload(body: bytes, content_type: str, tz) -> list[tuple[datetime, int, float]]:
    """JSON ({"transactions": [{start, transactions, revenue}, ...]} or the bare list) or CSV with a header line
    start,transactions,revenue. `start` is a datetime (naive: the site's local time) or a date."""
    ctype = (content_type or "").split(";")[0].strip().lower()
    if ctype in ("text/csv", "application/csv"):
        try:
            text = body.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise UploadError("body", "CSV must be UTF-8") from None
        reader = csv.DictReader(io.StringIO(text))
        missing = {"start", "transactions"} - set(reader.fieldnames or [])
        if missing:
            raise UploadError("header", f"CSV needs the columns start, transactions[, revenue]; missing {', '.join(sorted(missing))}")
        items = list(reader)
    elif ctype == "application/json":
        try:
            data = json.loads(body or b"null")
        except ValueError as e:
            raise UploadError("body", f"not JSON: {e}") from None
        items = data.get("transactions") if isinstance(data, dict) else data
        if not isinstance(items, list):
            raise UploadError("transactions", "expected a list of {start, transactions, revenue}")
    else:
        raise UploadError("Content-Type", f"{ctype or 'none'}: send application/json or text/csv")
    if not items:
        raise UploadError("transactions", "no rows")
    if len(items) > MAX_ROWS:
        raise UploadError("transactions", f"{len(items)} rows: at most {MAX_ROWS} per upload")
    rows, seen = [], set()
    for i, item in enumerate(items):
        where = f"rows[{i}]"
        if not isinstance(item, dict):
            raise UploadError(where, "expected an object")
        extra = set(item) - {"start", "transactions", "revenue"}
        if extra:
            raise UploadError(f"{where}.{sorted(extra)[0]}", "unknown field")
        try:
            start = parse_when(str(item.get("start") or ""), tz, "start")
        except RangeError as e:
            raise UploadError(f"{where}.start", e.reason) from None
        n = _number(item.get("transactions"), f"{where}.transactions", integer=True)
        revenue = _number(item.get("revenue", 0) or 0, f"{where}.revenue", integer=False)
        if start in seen:
            raise UploadError(f"{where}.start", f"{item['start']} appears twice in this upload")
        seen.add(start)
        rows.append((start, n, revenue))
    return rows


def _number(v, field: str, *, integer: bool):
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise UploadError(field, f"{v!r} is not a number") from None
    if x < 0 or x != x or x > 1e12:
        raise UploadError(field, f"{v!r} out of range (0 to 1e12)")
    if integer:
        if not x.is_integer():
            raise UploadError(field, f"{v!r} is not a whole number")
        return int(x)
    return round(x, 2)


def upload(d: Directory, store_id: str, body: bytes, content_type: str) -> dict:
    ref = d.store(store_id)
    from zoneinfo import ZoneInfo

    rows = parse_upload(body, content_type, ZoneInfo(ref.site.timezone))
    d.db.write(pos_points(ref.site.id, store_id, rows))
    return {"store": store_id, "rows": len(rows), "transactions": sum(r[1] for r in rows),
            "revenue": round(sum(r[2] for r in rows), 2)}


POS_FIELDS = ["transactions", "revenue"]


def conversion(d: Directory, store_id: str, r: TimeRange, interval: str) -> dict:
    """Transactions / visitors per interval. Visitors are the store's linked unique visitors where the site's
    linkability allows them at this interval, else people coming in through the store's doors (line `in`)."""
    ref = d.store(store_id)
    site = ref.site
    pos = merged(sums(d.db, "footfall_pos", POS_FIELDS, f"site = {lit(site.id)} AND store = {lit(store_id)}", r, interval),
                 POS_FIELDS)
    distinct, _ = meaning(site.linkability, interval)
    linked = merged(sums(d.db, "footfall_visitors", ["unique"], f"site = {lit(site.id)} AND scope = {lit(store_id)}",
                         r, interval), ["unique"]) if distinct else {}
    if linked:
        basis, vis = "unique visitors", {b: c["unique"] for b, c in linked.items()}
    else:
        from .traffic import _lines_where

        devices = d.store_devices(store_id)
        got = merged(sums(d.db, "footfall_line", ["in"], _lines_where(site.id, devices), r, interval), ["in"])
        basis, vis = "entries (line in)", {b: c["in"] for b, c in got.items()}
    cells = {b: {**pos.get(b, {"transactions": 0, "revenue": 0}), "visitors": vis.get(b, 0)} for b in set(pos) | set(vis)}
    rows = []
    for row in table(cells, r, interval, ["transactions", "revenue", "visitors"]):
        v = row["visitors"]
        rows.append({"start": row["start"], "transactions": row["transactions"], "revenue": round(row["revenue"], 2),
                     "visitors": k_count(v), "conversion": k_ratio(row["transactions"] / v if v else None, v)})
    tv = sum(c["visitors"] for c in cells.values())
    tt = sum(c["transactions"] for c in cells.values())
    return {"store": store_id, "basis": basis, "rows": rows,
            "total": {"transactions": int(tt), "revenue": round(sum(c["revenue"] for c in cells.values()), 2),
                      "visitors": k_count(tv), "conversion": k_ratio(tt / tv if tv else None, tv)}}
