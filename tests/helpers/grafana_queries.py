"""Panel queries out of Grafana dashboard JSON, with Grafana's macros and variables substituted as its InfluxDB data
source does (InfluxQL mode), so they can be run on a real InfluxDB."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

# what Grafana's escapeRegex escapes in a variable value used inside /.../
_REGEX_SPECIAL = re.compile(r"[\\^$*+?.()|\[\]{}/]")
_SHIFT = re.compile(r"^(\d+)([mhdw])$")


@dataclass
class PanelQuery:
    dashboard: str
    panel: str
    ref: str
    query: str
    time_shift: str | None


def panel_queries(path: Path) -> list[PanelQuery]:
    board = json.loads(path.read_text())
    out = []
    for panel in board["panels"]:
        for t in panel.get("targets", []):
            out.append(PanelQuery(board["uid"], panel["title"], t["refId"], t["query"], panel.get("timeShift")))
    return out


def variables(path: Path) -> dict[str, dict]:
    return {v["name"]: v for v in json.loads(path.read_text())["templating"]["list"]}


def _value(var: dict, value: str | list[str]) -> str:
    """Grafana's interpolation for InfluxQL: multi-value / include-all variables are regex-escaped and joined as
    (a|b); a single-value variable is put in as it is."""
    if not (var.get("multi") or var.get("includeAll")):
        assert isinstance(value, str), f"{var['name']} takes one value"
        return value
    values = [value] if isinstance(value, str) else list(value)
    escaped = [_REGEX_SPECIAL.sub(lambda m: "\\" + m.group(0), v) for v in values]
    return escaped[0] if len(escaped) == 1 else "(" + "|".join(escaped) + ")"


def shifted(start: datetime, end: datetime, shift: str | None) -> tuple[datetime, datetime]:
    if not shift:
        return start, end
    n, unit = _SHIFT.match(shift).groups()
    delta = timedelta(**{{"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}[unit]: int(n)})
    return start - delta, end - delta


def render(q: PanelQuery, defs: dict[str, dict], values: dict[str, str | list[str]], start: datetime, end: datetime,
           interval: str) -> str:
    start, end = shifted(start, end, q.time_shift)
    text = q.query.replace("$timeFilter", f"time >= {int(start.timestamp() * 1000)}ms and "
                                          f"time <= {int(end.timestamp() * 1000)}ms")
    text = text.replace("$__interval_ms", str(_ms(interval))).replace("$__interval", interval)
    for name in sorted(defs, key=len, reverse=True):  # $store before $s...
        if name in values:
            v = _value(defs[name], values[name])
            text = text.replace("${" + name + "}", v).replace("[[" + name + "]]", v).replace("$" + name, v)
    left = re.findall(r"\$\w+", text)
    assert not left, f"{q.dashboard} / {q.panel}: unsubstituted {left}"
    return text


def _ms(interval: str) -> int:
    n, unit = _SHIFT.match(interval).groups()
    return int(n) * {"m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}[unit]
