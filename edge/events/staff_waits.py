"""How long customers wait in a zone before staff are present (consented staff recognition only).

A customer in a zone with no staff in it waits from the moment they are in it; the wait ends when staff are in the
zone with them (served: the wait is reported) or when they leave first (unattended). Staff are never named: only
whether any recognised staff track is in the zone counts.
"""
from __future__ import annotations


class StaffWaits:
    def __init__(self):
        self.waiting: dict[tuple[int, str], float] = {}  # (customer track, zone) -> waiting since
        self.done: set[tuple[int, str]] = set()  # served during this stay in the zone

    def forget(self, track: int) -> None:
        """A track recognised as staff was never a waiting customer."""
        self.waiting = {k: v for k, v in self.waiting.items() if k[0] != track}
        self.done = {k for k in self.done if k[0] != track}

    def update(self, ts: float, customers: dict[str, set[int]], staffed: set[str]) -> tuple[list[tuple[str, float]], list[str]]:
        """(served: (zone, seconds waited), unattended: zones a waiting customer left) on this frame."""
        now = {(t, z) for z, tracks in customers.items() for t in tracks}
        unattended = [z for (t, z) in list(self.waiting) if (t, z) not in now]
        for key in [k for k in self.waiting if k not in now]:
            del self.waiting[key]
        self.done &= now  # a stay that ended: a later one waits again
        served = []
        for key in sorted(now - self.done):
            zone = key[1]
            if zone in staffed:
                served.append((zone, ts - self.waiting.pop(key, ts)))
                self.done.add(key)
            else:
                self.waiting.setdefault(key, ts)
        return served, unattended
