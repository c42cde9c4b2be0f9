"""What is due now: each store's daily summary of yesterday once its site's local time passed the store's send time,
the weekly one (last week) on Mondays and the monthly one (last month) on the 1st, at the same time.

A systemd timer runs `footfall-cloud report due` every 15 minutes rather than one timer per store: stores sit in
different time zones with their own send times, and these live in cloud.yaml, which would otherwise need a unit
generator and a daemon-reload on every change. The ledger makes every run idempotent, so a run after downtime
(Persistent=true) or a failed delivery simply sends what is still owed at the next tick."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from footfall.cloud.config import CloudConfig

from .ledger import Ledger
from .periods import Period, previous

CATCH_UP_DAYS = 3  # a daily summary more than this late is not sent on its own any more (run it by hand)


@dataclass(frozen=True)
class Due:
    site: str
    store: str | None  # None: the chain roll-up
    kind: str
    period: Period

    @property
    def day(self) -> date:
        return self.period.first


def due(cfg: CloudConfig, ledger: Ledger, now: datetime) -> list[Due]:
    reports = cfg.reports
    if reports is None:
        return []
    out: list[Due] = []
    sites = {s.id: s for s in cfg.sites}
    for r in reports.stores:
        tz = ZoneInfo(sites[r.site].timezone)
        local = now.astimezone(tz)
        at = reports.send_time(r.site, r.store)
        for kind in ("daily", "weekly", "monthly"):
            if not reports.recipients(r.site, r.store, kind):
                continue
            for p in _owed(kind, local, at):
                if not ledger.was_sent(r.site, r.store, kind, p.key):
                    out.append(Due(r.site, r.store, kind, p))
    first = cfg.sites[0]
    local = now.astimezone(ZoneInfo(first.timezone))
    for kind in ("weekly", "monthly"):
        if reports.recipients(first.id, None, kind):
            for p in _owed(kind, local, datetime.strptime(reports.send_at, "%H:%M").time()):
                if not ledger.was_sent("", "chain", kind, p.key):
                    out.append(Due("", None, kind, p))
    return out


def _owed(kind: str, local: datetime, at) -> list[Period]:
    """The periods of this kind whose report is owed at local time `local`: the last complete one once today's send
    time passed (daily: also the few days before, in case the service was down)."""
    today = local.date()
    if kind == "daily":
        days = range(1, CATCH_UP_DAYS + 1) if local.time() >= at else range(2, CATCH_UP_DAYS + 1)
        return [previous("daily", today - timedelta(days=n - 1)) for n in days]
    p = previous(kind, today)
    first_day_after = p.last + timedelta(days=1)
    if today > first_day_after or (today == first_day_after and local.time() >= at):
        return [p]
    return []
