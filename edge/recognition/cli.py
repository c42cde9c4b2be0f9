"""`footfall-edge enroll / unenroll / galleries / feedback`: the gallery's life on the unit, each step audited."""
from __future__ import annotations

from datetime import datetime, time, timezone
from pathlib import Path

import click
import numpy as np

from footfall.edge.config import EdgeConfig

from .recognizer import list_thresholds, open_gallery
from .store import GalleryError

MIN_PHOTOS = 2  # at least two good photos: one photo's pose and light make a brittle template


def gallery_of(cfg: EdgeConfig):
    if cfg.recognition is None:
        raise click.ClickException("recognition is off in this config (no `recognition:` section)")
    try:
        return open_gallery(cfg)
    except GalleryError as e:
        raise click.ClickException(str(e)) from None


def expiry(day: datetime) -> datetime:
    """--expires DATE: the entry lives through that day (UTC) and is purged when it ends."""
    return datetime.combine(day.date(), time.max, tzinfo=timezone.utc)


def enroll(cfg: EdgeConfig, list_: str, ref: str, basis: str, expires: datetime, photos: Path | None,
           camera: int | None, echo=click.echo) -> dict:
    if list_ not in cfg.recognition.lists:
        raise click.ClickException(f"list {list_!r} is not enabled in recognition (enabled: {sorted(cfg.recognition.lists)})")
    from .photos import PhotoEmbedder

    embedder = PhotoEmbedder()
    if photos is not None:
        results = embedder.folder(photos)
    else:
        from .camera import capture_faces

        results = capture_faces(cfg, camera, embedder)
    for r in results:
        echo(f"{r.name}: {'ok' if r.vector is not None else 'skipped, ' + r.reason} (quality {r.quality:.2f})")
    good = [r.vector for r in results if r.vector is not None]
    if len(good) < MIN_PHOTOS:
        raise click.ClickException(f"{len(good)} usable face(s); at least {MIN_PHOTOS} needed")
    store, _ = gallery_of(cfg)
    try:
        e = store.enroll(ref, list_, basis, expiry(expires), np.stack(good))
    except GalleryError as err:
        raise click.ClickException(str(err)) from None
    return {"ref": e.ref, "list": e.list, "faces": len(e.vectors), "expires": e.expires.isoformat()}


def feedback_wrong(cfg: EdgeConfig, ref: str) -> dict:
    store, audit = gallery_of(cfg)
    e = store.entries.get(ref)
    if e is None:
        raise click.ClickException(f"no entry {ref!r}")
    before = e.threshold or list_thresholds(cfg)[e.list]
    after = store.raise_threshold(ref, before)
    audit.record("feedback", ref, e.list, verdict="wrong", threshold_before=before, threshold_after=after)
    return {"ref": ref, "threshold": after}
