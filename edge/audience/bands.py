"""The coarse categories published on the wire: age bands, gender, reactions (the wire and the cloud share them)."""
from __future__ import annotations

from footfall.protocol.contract import AGE_BANDS, GENDERS, REACTIONS  # noqa: F401  (re-exported for the edge)

# lower bound of each age band but the first; band i holds ages in [EDGES[i-1], EDGES[i])
_EDGES = (18, 25, 35, 45, 55, 65)


def age_band(age: float) -> str:
    for band, edge in zip(AGE_BANDS, _EDGES):
        if age < edge:
            return band
    return AGE_BANDS[-1]
