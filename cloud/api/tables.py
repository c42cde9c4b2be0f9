"""JSON answers as CSV (`?format=csv` on every table, and the CRM/POS export): one row per line of the answer's
table, nested values flattened to dotted columns."""
from __future__ import annotations

import csv
import io


def flatten(row: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in row.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flatten(v, key + "."))
        elif isinstance(v, list):
            out[key] = " ".join(map(str, v))
        else:
            out[key] = "" if v is None else v
    return out


def to_csv(rows: list[dict]) -> str:
    flat = [flatten(r) for r in rows]
    columns: list[str] = []
    for r in flat:
        columns += [c for c in r if c not in columns]
    buf = io.StringIO()
    w = csv.DictWriter(buf, columns, lineterminator="\n")
    w.writeheader()
    w.writerows(flat)
    return buf.getvalue()


def table_of(data: dict) -> list[dict]:
    """The answer's table: its per-interval rows, or its list (devices, alerts, gaps, flow links, stores...)."""
    if "displays" in data:  # one row per display and interval
        return [{"device": d["device"], "display": d["display"], **r} for d in data["displays"] for r in d["rows"]]
    for key in ("rows", "by_hour", "links", "devices", "alerts", "gaps", "sites", "stores", "cells"):
        if key in data:
            return data[key]
    return [data]


def export_rows(footfall: dict, visitors: dict, dwell: dict, conversion: dict) -> list[dict]:
    """The CRM/POS export: every figure of a store per interval side by side (suppressed cells stay "<5")."""
    by: dict[str, dict] = {}
    for r in footfall["rows"]:
        by.setdefault(r["start"], {"start": r["start"]}).update({"in": r["in"], "out": r["out"]})
    for r in visitors["rows"]:
        by.setdefault(r["start"], {"start": r["start"]}).update({"visitors": r.get("unique"), "returning": r.get("returning")})
    for r in dwell["rows"]:
        by.setdefault(r["start"], {"start": r["start"]}).update({"dwell_mean_s": r["dwell_mean_s"]})
    for r in conversion["rows"]:
        by.setdefault(r["start"], {"start": r["start"]}).update({"transactions": r["transactions"], "revenue": r["revenue"],
                                                                 "conversion": r["conversion"]})
    return [by[k] for k in sorted(by)]
