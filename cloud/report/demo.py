"""For `make demo`: the demo store's daily email as .eml and .html, delivered to a local SMTP sink."""
from __future__ import annotations

import smtplib
from datetime import date
from pathlib import Path

from footfall.cloud.config import CloudConfig
from footfall.cloud.query.sites import Directory

from .periods import period_of
from .render import to_message
from .run import _write, build_site


def write_demo_email(cfg: CloudConfig, store: str, day: date, out_dir: Path, smtp_host: str, smtp_port: int,
                     db=None) -> dict[str, Path]:
    """Build `store`'s daily summary of `day` from the config's InfluxDB, write .eml/.html/.txt/.png into out_dir and
    deliver it once over plain SMTP to the sink at smtp_host:smtp_port (a local demo sink: no TLS, no AUTH).
    Returns {"eml": ..., "html": ..., "txt": ..., "png": ...}."""
    if db is None:
        from footfall.cloud.ingest.service import influx_from

        db = influx_from(cfg)
    d = Directory(cfg, db)
    ref = d.store(store)
    (built,), _ = build_site(cfg, d, ref.site, "daily", day, [store])
    p = period_of("daily", day)
    recipients = (cfg.reports.recipients(ref.site.id, store, "daily") if cfg.reports else []) or [f"manager@{store}.demo"]
    sender = cfg.reports.smtp.sender if cfg.reports else "Footfall demo <reports@footfall.demo>"
    msg = to_message(built.report, built.email, sender=sender, recipients=recipients,
                     key=f"{ref.site.id}/{store}/daily/{p.key}")
    paths = _write(Path(out_dir), built, msg, p)
    with smtplib.SMTP(smtp_host, smtp_port, timeout=10) as s:
        s.send_message(msg)
    return {p.suffix.lstrip("."): p for p in paths}
