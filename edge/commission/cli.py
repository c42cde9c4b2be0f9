"""`footfall-edge commission`: the page, the acceptance test and the report, each a function of the CLI's options."""
from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import click

from footfall.edge.config import EdgeConfig

from . import record
from .acceptance import Tally, compare
from .live import LiveView


def page(cfg: EdgeConfig, host: str, port: int, timeout_s: float, fast: bool) -> None:
    from .web import CommissionServer

    view = LiveView(cfg, cfg.read_site_secret(), fast).start()
    server = CommissionServer(view, host, port, timeout_s)
    port = server.server_port
    click.echo(f"commissioning page: http://{host}:{port}/  (from your laptop: ssh -L {port}:127.0.0.1:{port} "
               f"<admin>@<unit>, then open http://127.0.0.1:{port}/); stops in {timeout_s / 60:g} min", err=True)
    why = server.serve_until_done()
    view.thread.join(10)
    record.update(cfg.outbox.dir, session=record.session_figures(view), session_ended=time.time())
    click.echo(f"commissioning page stopped: {why}", err=True)


def acceptance(cfg: EdgeConfig, crossings: int, tally_text: str | None, timeout_s: float, fast: bool) -> int:
    """Count the next `crossings` crossings; the installer types each one they see (i / o) or the totals."""
    tally = Tally.parse(tally_text) if tally_text else Tally()
    if tally_text is None:
        threading.Thread(target=_read_tally, args=(tally,), daemon=True).start()
        click.echo(f"acceptance: counting the next {crossings} crossings; type i (in) or o (out) and Enter for each "
                   "person you see cross, or in=N,out=M at the end", err=True)
    view = LiveView(cfg, cfg.read_site_secret(), fast).start()
    deadline = time.monotonic() + timeout_s
    seen = 0
    while time.monotonic() < deadline and view.thread.is_alive():
        n = view.crossings()
        if n != seen:
            seen = n
            click.echo(f"unit: {n} of {crossings} crossings {view.counts()}", err=True)
        if n >= crossings:
            break
        time.sleep(0.2)
    view.stop.set()
    view.thread.join(10)
    if view.state.startswith("error"):
        raise ValueError(view.state)
    if tally_text is None and tally.typed == 0 and sys.stdin.isatty():
        tally.in_ = click.prompt("people you saw walk in", type=int)
        tally.out = click.prompt("people you saw walk out", type=int)
    with view.lock:
        counts = view.counts()
    result = compare(crossings, counts, tally)
    record.update(cfg.outbox.dir, acceptance=result.as_dict() | {"at": time.time()},
                  session=record.session_figures(view))
    click.echo(result.summary)
    return 0 if result.passed else 1


def _read_tally(tally: Tally) -> None:
    for line in sys.stdin:
        try:
            tally.add(line)
        except ValueError as e:
            click.echo(str(e), err=True)


def report(cfg: EdgeConfig, out: Path, height_m: float | None, tilt_deg: float | None) -> None:
    from .report import render

    if height_m is not None or tilt_deg is not None:
        record.update(cfg.outbox.dir, placement={"height_m": height_m, "tilt_deg": tilt_deg})
    text = render(cfg)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    click.echo(f"commissioning report: {out}", err=True)
