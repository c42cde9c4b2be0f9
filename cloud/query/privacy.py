"""k-anonymity for every surface (API, dashboard, reports): a figure resting on fewer than K visitors is shown as
"<5" and marked suppressed, never as its value."""
from __future__ import annotations

from dataclasses import dataclass

K = 5
SUPPRESSED = f"<{K}"


@dataclass(frozen=True)
class Cell:
    """A figure as a surface may show it: `value` is None when suppressed, `display` is what to print."""

    value: float | int | None
    suppressed: bool
    display: str


def suppress(value: float | int | None, visitors: int | None, fmt: str = "{}") -> Cell:
    """`value` resting on `visitors` people: "<5" (value None) when 0 < visitors < K. None (no data) stays None,
    shown as "–". Zero visitors reveal no one, so a 0 is shown as it is."""
    if value is None or visitors is None:
        return Cell(None, False, "–")
    if 0 < visitors < K:
        return Cell(None, True, SUPPRESSED)
    return Cell(value, False, fmt.format(value))
