"""The read layer's use of privacy.py in JSON figures: a figure describing visitors (linked visitors, flows, dwell,
attention, conversion) that rests on fewer than K of them becomes "<5".

Tallies counted on the device without any per-visitor derivation (line crossings, zone entries and exits,
occupancy, display passers) are shown as they are, as a door counter shows them. Zero stays 0: it describes nobody.
"""
from __future__ import annotations

from .privacy import K, SUPPRESSED


def k_count(n: int | float | None) -> int | float | str | None:
    """A count of visitors: itself when 0 or at least K, else "<5"."""
    if n is None or n == 0 or n >= K:
        return n
    return SUPPRESSED


def k_ratio(value: float | None, basis: int | float | None, digits: int = 3) -> float | str | None:
    """A figure derived from `basis` visitors (a mean dwell, a conversion rate): hidden when 0 < basis < K."""
    if value is None or not basis:
        return None
    if basis < K:
        return SUPPRESSED
    return round(value, digits)
