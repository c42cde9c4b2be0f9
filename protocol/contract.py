"""The numbers and formats edge and cloud must agree on, in one place.

- anonymous codes: CODE_BITS sign bits (hex on the wire), compared by Hamming distance; two visits of one person
  link when at most MATCH_MAX_DISTANCE bits differ (the edge's device gallery and the cloud's linker alike);
- code periods: their policies and the id format (`2026-11-22` daily, `2026-W47` weekly, `2026-11` monthly), made on
  the edge by `period_id` and read back in the cloud by `period_policy`;
- MQTT: QoS and client ids (the client itself is built by protocol/mqtt_client.py).
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Literal, get_args
from zoneinfo import ZoneInfo

# 256 bits keep 94% of the raw true-accept rate at FAR 0.1% on the mixed face sets, 512 keep 99% (docs/privacy.md)
CODE_BITS = 512
CODE_BYTES = CODE_BITS // 8
CODE_PATTERN = rf"^[0-9a-f]{{{CODE_BITS // 4}}}$"
# of 512: FAR about 0.1% on the shared face sets; genuine pairs sit near 118, impostors near 245 (docs/privacy.md)
MATCH_MAX_DISTANCE = 172

PeriodPolicy = Literal["daily", "weekly", "monthly"]
PERIOD_POLICIES: tuple[str, ...] = get_args(PeriodPolicy)
PERIOD_ID_PATTERN = r"^\d{4}-(\d{2}-\d{2}|W\d{2}|\d{2})$"
_PERIOD_ID = re.compile(PERIOD_ID_PATTERN)

# Floor heatmaps (docs/heatmaps.md): a grid of at most 24 x 16 cells, sent sparse (only cells someone stood in), so a
# counts message stays small whatever the store's size: 384 cells x ~20 bytes at most.
MAX_FLOOR_COLS = 24
MAX_FLOOR_ROWS = 16
MAX_FLOOR_CELLS = MAX_FLOOR_COLS * MAX_FLOOR_ROWS

# Opt-in audience insights (docs/accuracy.md): the only categories a counts message may carry, never per visitor.
AgeBand = Literal["<18", "18-24", "25-34", "35-44", "45-54", "55-64", "65+", "unknown"]
AGE_BANDS: tuple[str, ...] = get_args(AgeBand)[:-1]  # without "unknown"
Gender = Literal["female", "male", "unknown"]
GENDERS: tuple[str, ...] = get_args(Gender)
Reaction = Literal["delighted", "neutral", "disinterested"]
REACTIONS: tuple[str, ...] = get_args(Reaction)

QOS = 1  # every publish and subscription; only `status` is retained
CLOUD_CLIENT_ID = "footfall-cloud"


def edge_client_id(site: str, device: str) -> str:
    """An edge unit's MQTT client id. Ids cannot contain '/', so no two devices (nor the cloud) can share one, which
    a plain `<site>-<device>` could (`a-b` + `c` vs `a` + `b-c`): the broker would throw them off in turn."""
    return f"footfall-edge/{site}/{device}"


def period_id(ts: float, timezone: str, policy: str = "daily", hour: int = 4) -> str:
    """The period holding ts. A period starts at `hour` local time (of the day, the Monday or the 1st), DST aware."""
    local = datetime.fromtimestamp(ts, ZoneInfo(timezone))
    # wall-clock shift: 03:30 on the 23rd with hour=4 still belongs to the 22nd, in summer and winter time alike
    day = (local.replace(tzinfo=None) - timedelta(hours=hour)).date()
    if policy == "daily":
        return day.isoformat()
    if policy == "weekly":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    if policy == "monthly":
        return f"{day.year}-{day.month:02d}"
    raise ValueError(f"unknown period policy {policy!r}")


def period_policy(pid: str) -> str:
    """The policy a period id was made under: how long its codes link visits."""
    if not _PERIOD_ID.match(pid):
        raise ValueError(f"{pid!r} is not a period id")
    return "weekly" if "W" in pid else "daily" if pid.count("-") == 2 else "monthly"
