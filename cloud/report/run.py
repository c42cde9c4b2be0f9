"""Build, send and record reports: for each store (and the chain roll-up), figures from InfluxDB, the email, the
SMTP delivery and the ledger. One store's failure is logged, recorded and reported to the fleet's alerts; the
others go on."""
from __future__ import annotations

import logging
import os
import re
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from email.message import EmailMessage
from multiprocessing import get_context
from pathlib import Path
from zoneinfo import ZoneInfo

from footfall.cloud.config import CloudConfig, Site
from footfall.cloud.query import report_figures as rf
from footfall.cloud.query.floor import floor_grid
from footfall.cloud.query.report_quality import alerts as fleet_alerts
from footfall.cloud.query.sites import Directory
from footfall.cloud.query.visitors import meaning
from footfall.cloud.store.influx import InfluxV1
from footfall.cloud.store.points import report_points

from .figures import QualityNote, Report
from .ledger import Ledger
from .periods import Period, comparisons, period_of
from .render import RenderedEmail, render, to_message
from .smtp import Sender, SendError

log = logging.getLogger(__name__)
CHAIN = "chain"  # the ledger's store id for the roll-up


@dataclass
class Outcome:
    sent: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)   # already sent (ledger) or nobody to send to
    failed: list[tuple[str, str]] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed


@dataclass(frozen=True)
class Built:
    report: Report
    email: RenderedEmail

    @property
    def store_key(self) -> str:
        return self.report.store or CHAIN


def _key(site: str, store: str, kind: str, period: Period) -> str:
    return f"{site or 'all'}/{store}/{kind}/{period.key}"  # the roll-up: all/chain/weekly/2026-W48


def _quality(d: Directory, site: Site, r, devices: dict[str, set[str]], now: datetime) -> dict[str, list[QualityNote]]:
    """The fleet's alerts over the period (offline, camera, clock, data gaps), per store by its devices."""
    got = fleet_alerts(d, site.id, r, lambda s, dev: _unknown_status(), now)
    end = min(r.end, now)
    notes = []
    for a in got:
        start = datetime.fromisoformat(a["started"]).astimezone(r.tz)
        stop = datetime.fromisoformat(a["ended"]).astimezone(r.tz) if a["ended"] else end.astimezone(r.tz)
        notes.append([a["device"], a["kind"], start, stop, a["ended"] is None])
    # A unit that was off shows twice: silent health (5-minute resolution) and missing counts (to the minute).
    # Say it once, as "offline", with the counts' times.
    for g in notes:
        if g[1] != "data gap":
            continue
        for o in notes:
            if o[0] == g[0] and o[1] == "device offline" and o[2] < g[3] and g[2] < o[3]:
                o[1] = None
                g[1] = "device offline"
    out: dict[str, list[QualityNote]] = {st: [] for st in devices}
    several_days = (r.end - r.start).total_seconds() > 25 * 3600
    for dev, kind, start, stop, ongoing in notes:
        if kind is None:
            continue
        what = {"device offline": "offline", "data gap": "sent no counts"}.get(kind, kind)
        for st, devs in devices.items():
            if dev in devs:
                out[st].append(QualityNote(dev, what, start, stop, ongoing=ongoing and stop >= now.astimezone(r.tz),
                                           dated=several_days))
    for st in out:
        out[st].sort(key=lambda q: (q.start, q.device))
    return out


def _unknown_status():
    from footfall.cloud.query.status import DeviceStatus

    return DeviceStatus()


def _floor(d: Directory, site: Site, store: str, kind: str, r) -> dict | None:
    """The weekly report's floor map: the store's grid over the week, k-blanked by the read layer."""
    plan = next((s.floor for s in site.stores if s.id == store), None)
    return floor_grid(d, store, r) if kind == "weekly" and plan is not None else None


def _store_title(site: Site, store: str) -> str:
    return f"{store} · {site.name or site.id}"


def build_site(cfg: CloudConfig, d: Directory, site: Site, kind: str, day: date, stores: list[str],
               now: datetime | None = None, render_only: set[str] | None = None) -> tuple[list[Built], dict[str, tuple]]:
    """Every requested store of one site: its Report and rendered email (only those in `render_only` when given);
    plus raw totals and notes for the chain roll-up."""
    now = now or datetime.now(timezone.utc)
    tz = ZoneInfo(site.timezone)
    p = period_of(kind, day)
    before = comparisons(p)
    devices = rf.store_devices(d, site)
    cur = rf.site_totals(d, site, p.range(tz), p.bucket, p.linkable_over, devices)
    prev = [rf.site_totals(d, site, b.range(tz), b.bucket, b.linkable_over, devices) for b in before]
    quality = _quality(d, site, p.range(tz), devices, now)
    distinct, note = meaning(site.linkability, p.linkable_over)
    notes = [] if distinct else [f"Unique visitors are not shown: {note.split(': ', 1)[-1].split(';')[0]}."]
    built, raw = [], {}
    for st in stores:
        if not devices.get(st):  # nothing to report on, and nothing in the fleet's alerts to say why
            quality.setdefault(st, []).append(QualityNote(st, "has no counting unit that ever reported"))
    raw_quality = {st: quality.get(st, []) for st in stores}
    for st in stores:
        raw[st] = (cur[st], prev[0][st] if prev else None, raw_quality[st])
        if render_only is not None and st not in render_only:
            continue
        start = p.range(tz).local_start
        report = Report(kind=kind, site=site.id, site_name=site.name or site.id, store=st,
                        title=_store_title(site, st), period_label=p.label, start=start,
                        end=p.range(tz).end.astimezone(tz), bucket=p.bucket, current=cur[st],
                        comparisons=[(b.short, t[st]) for b, t in zip(before, prev)],
                        quality=quality.get(st, []), notes=notes, floor=_floor(d, site, st, kind, p.range(tz)))
        built.append(Built(report, render(report)))
    return built, raw


def build_chain(kind: str, day: date, parts: dict[tuple[str, str], tuple[rf.Totals, rf.Totals | None]],
                tz: ZoneInfo, quality: list[QualityNote] | None = None) -> Built:
    p = period_of(kind, day)
    before = comparisons(p)[0]
    now = rf.chain_totals([a for a, _ in parts.values()])
    prev = rf.chain_totals([b for _, b in parts.values() if b is not None])
    stores = [(f"{st} ({site})", a, b) for (site, st), (a, b) in sorted(parts.items())]
    start = p.range(tz).local_start
    report = Report(kind=kind, site="", site_name="", store=None, title="All stores", period_label=p.label,
                    start=start, end=p.range(tz).end.astimezone(tz), bucket=p.bucket, current=now,
                    comparisons=[(before.short, prev)], stores=stores, quality=quality or [],
                    notes=["Distinct visitors do not add up across stores; see each store's report."])
    return Built(report, render(report))


def _write(out: Path, b: Built, msg: EmailMessage, period: Period) -> list[Path]:
    folder = out / (b.report.site or CHAIN)
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{b.store_key}-{b.report.kind}-{period.key}"
    html = b.email.html
    paths = [folder / f"{stem}.eml", folder / f"{stem}.html", folder / f"{stem}.txt"]
    if b.email.png is not None:  # the standalone .html shows the chart from a file next to it
        (folder / f"{stem}.png").write_bytes(b.email.png)
        html = html.replace(f"cid:{b.email.chart_cid}", f"{stem}.png")
        paths.append(folder / f"{stem}.png")
    if b.email.floor_png is not None:
        (folder / f"{stem}-floor.png").write_bytes(b.email.floor_png)
        html = html.replace(f"cid:{b.email.floor_cid}", f"{stem}-floor.png")
        paths.append(folder / f"{stem}-floor.png")
    paths[0].write_bytes(bytes(msg))
    paths[1].write_text(html)
    paths[2].write_text(b.email.text)
    return paths


def _targets(cfg: CloudConfig, kind: str, store: str | None, dry_run: bool,
             only: set[tuple[str, str]] | None = None) -> dict[str, list[str]]:
    """{site id: [store ids]} to report on: the named store, else every store with recipients for this kind (every
    store of the config in a dry run); `only`: just these (site, store) pairs."""
    out: dict[str, list[str]] = {}
    for site in cfg.sites:
        for st in site.stores:
            if (store is not None and st.id != store) or (only is not None and (site.id, st.id) not in only):
                continue
            wanted = store is not None or dry_run or (cfg.reports and cfg.reports.recipients(site.id, st.id, kind))
            if wanted:
                out.setdefault(site.id, []).append(st.id)
    if store is not None and not out:
        raise ValueError(f"store: unknown store {store!r}")
    return out


def run(cfg: CloudConfig, db: InfluxV1, kind: str, day: date, *, store: str | None = None,
        dry_run: Path | None = None, force: bool = False, chain: bool | None = None,
        now: datetime | None = None, workers: int | None = None, only: set[tuple[str, str]] | None = None) -> Outcome:
    """Build and send (or, with dry_run, write to that folder) the `kind` report of the period holding `day`;
    `only`: just these (site, store) pairs (what `report due` found owed), in one run.
    `workers`: processes building reports (default: twice the CPUs, at most 4; 1: all in this process)."""
    out = Outcome()
    p = period_of(kind, day)
    reports = cfg.reports
    if dry_run is None and reports is None:
        raise ValueError("reports: no reports section in the config (SMTP and recipients); use --dry-run to preview")
    sender = Sender(reports.smtp, reports.retry) if reports else None
    ledger = Ledger(Path(cfg.state_dir)) if dry_run is None else None
    chain = (store is None and kind != "daily") if chain is None else chain
    parts: dict[tuple[str, str], tuple[rf.Totals, rf.Totals | None]] = {}
    chain_quality: list[QualityNote] = []
    try:
        ctx = ledger.exclusive() if ledger else _nullctx()
        with ctx:
            jobs = []
            targets = _targets(cfg, kind, store, dry_run is not None, only)
            for site in cfg.sites:
                stores = targets.get(site.id, [])
                todo = [st for st in stores if force or ledger is None or not ledger.was_sent(site.id, st, kind, p.key)]
                out.skipped += [_key(site.id, st, kind, p) for st in stores if st not in todo]
                if chain:  # the roll-up adds up every store, whether or not the store's own report goes out
                    jobs.append((site.id, todo, [st.id for st in site.stores]))
                elif todo:
                    jobs.append((site.id, todo, todo))
            for (site_id, todo, _), result in zip(jobs, _build_all(cfg, db, kind, day, jobs, now, workers)):
                if isinstance(result, str):  # one site's trouble (database, bad data) must not stop the others
                    for st in todo:
                        _failed(out, ledger, db, site_id, st, kind, p, f"figures: {result}", 0)
                    continue
                built, raw = result
                parts.update({(site_id, st): v[:2] for st, v in raw.items()})
                chain_quality += [q for v in raw.values() for q in v[2]]
                for b in built:
                    if b.report.store in todo:
                        _deliver(out, b, p, reports, sender, ledger, db, dry_run)
            if chain and parts:
                tz = ZoneInfo(cfg.sites[0].timezone)
                if force or ledger is None or not ledger.was_sent("", CHAIN, kind, p.key):
                    _deliver(out, build_chain(kind, day, parts, tz, chain_quality), p, reports, sender, ledger, db, dry_run)
                else:
                    out.skipped.append(_key("", CHAIN, kind, p))
    finally:
        if ledger:
            ledger.close()
    return out


PARALLEL_MIN_STORES = 50  # below this, starting worker processes costs more than it saves


def _build_all(cfg: CloudConfig, db: InfluxV1, kind: str, day: date, jobs: list, now, workers: int | None):
    """build_site for every (site, stores) job, in order; an error becomes its message. Many stores are built in
    worker processes (figures wait on InfluxDB, charts on the CPU: both overlap), a few in this one."""
    # twice the CPUs: a worker waiting on InfluxDB leaves its CPU to one drawing a chart
    workers = workers if workers is not None else min(4, 2 * (os.cpu_count() or 1))
    if workers > 1 and len(jobs) > 1 and sum(len(j[2]) for j in jobs) >= PARALLEL_MIN_STORES:
        # spawn, not fork: the caller may run threads (an SMTP server in tests, the API) that fork would copy mid-lock
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as ex:
            yield from ex.map(_build_job, [(cfg, db, kind, day, site_id, stores, now, set(todo))
                                           for site_id, todo, stores in jobs])
        return
    for site_id, todo, stores in jobs:
        yield _build_job((cfg, db, kind, day, site_id, stores, now, set(todo)))


def _build_job(args):
    cfg, db, kind, day, site_id, stores, now, todo = args
    try:
        d = Directory(cfg, db)
        return build_site(cfg, d, d.site(site_id), kind, day, stores, now, render_only=todo)
    except Exception as e:  # noqa: BLE001 - reported per store by the caller
        log.exception("report figures for site %s", site_id)
        return f"{e.__class__.__name__}: {e}"


class _nullctx:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


def _deliver(out: Outcome, b: Built, p: Period, reports, sender: Sender | None, ledger: Ledger | None, db: InfluxV1,
             dry_run: Path | None) -> None:
    site, store, kind = b.report.site, b.store_key, b.report.kind
    key = _key(site, store, kind, p)
    recipients = reports.recipients(site, b.report.store, kind) if reports else []
    sender_addr = reports.smtp.sender if reports else "Footfall <reports@localhost>"
    msg = to_message(b.report, b.email, sender=sender_addr, recipients=recipients or ["preview@localhost"], key=key)
    if dry_run is not None:
        out.written += _write(dry_run, b, msg, p)
        out.sent.append(key)
        return
    if not recipients:
        out.skipped.append(key)
        return
    try:
        attempts = sender.send(msg)
    except SendError as e:
        _failed(out, ledger, db, site, store, kind, p, str(e), e.attempts)
        return
    ledger.record_sent(site, store, kind, p.key, msg["Message-ID"], recipients, attempts)
    log.info("report %s sent to %d recipient(s) (attempt %d)", key, len(recipients), attempts)
    out.sent.append(key)
    _alert_point(db, site, store, kind, p, ok=True, error="", attempts=attempts)


def _failed(out: Outcome, ledger: Ledger | None, db: InfluxV1, site: str, store: str, kind: str, p: Period,
            error: str, attempts: int) -> None:
    key = _key(site, store, kind, p)
    log.error("report %s failed after %d attempt(s): %s", key, attempts, error)
    out.failed.append((key, error))
    if ledger:  # a real run, not a dry run: recorded, and shown in the fleet's alerts
        ledger.record_failure(site, store, kind, p.key, error, attempts)
        _alert_point(db, site, store, kind, p, ok=False, error=error, attempts=attempts)


def _alert_point(db: InfluxV1, site: str, store: str, kind: str, p: Period, *, ok: bool, error: str, attempts: int) -> None:
    """footfall_report: the fleet's alerts read failed deliveries from here (query/report_alerts.py)."""
    try:
        db.write(report_points(site or CHAIN, store, kind, p.key, ok=ok, error=re.sub(r"\s+", " ", error)[:200],
                               attempts=attempts, at=time.time()))
    except Exception as e:  # noqa: BLE001 - the database being down must not hide the delivery's own outcome
        log.warning("could not record report %s/%s/%s in InfluxDB: %s", site, store, kind, e)
