"""Codes for the current period, rotating while running; the site secret is read once and never logged."""
from __future__ import annotations

from collections import OrderedDict

import numpy as np

from footfall.protocol.contract import period_id

from .codes import Coder, period_key


class CodeBook:
    def __init__(self, site_secret: bytes, site: str, timezone: str, period: str = "daily", hour: int = 4):
        self._secret = site_secret
        self.site, self.timezone, self.period, self.hour = site, timezone, period, hour
        self._coders: OrderedDict[str, Coder] = OrderedDict()

    def __repr__(self) -> str:
        return f"CodeBook(site={self.site!r}, period={self.period!r}, hour={self.hour})"

    def period_of(self, ts: float) -> str:
        return period_id(ts, self.timezone, self.period, self.hour)

    def code(self, embedding: np.ndarray, ts: float) -> tuple[str, str]:
        """(code, period id). A track that spans a rotation is coded in the period it started in (ts = first seen)."""
        pid = self.period_of(ts)
        coder = self._coders.get(pid)
        if coder is None:
            coder = Coder(period_key(self._secret, self.site, pid), dim=len(embedding))
            self._coders[pid] = coder
            while len(self._coders) > 2:  # the previous period stays for tracks that started in it
                self._coders.popitem(last=False)
        return coder.code(embedding), pid
