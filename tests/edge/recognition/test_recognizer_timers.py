"""The running unit's timers: an expired entry disappears on schedule, a CLI unenroll takes effect within seconds."""
from datetime import timedelta

import numpy as np
from gallery_testkit import KEY, T0, unit

from footfall.edge.config import EdgeConfig
from footfall.edge.recognition.recognizer import RELOAD_EVERY_S, Recognizer
from footfall.edge.recognition.store import GalleryStore


def config(tmp_path, purge_every_s=60):
    return EdgeConfig.model_validate({
        "site": "mall", "device": "entrance-1", "role": "entrance", "timezone": "UTC",
        "site_secret": {"file": "/dev/null"}, "camera": {"source": "video.mp4"},
        "recognition": {"gallery": str(tmp_path / "g.enc"), "key": {"file": "/dev/null"}, "vip": {}, "staff": {},
                        "purge_every_s": purge_every_s, "audit_log": str(tmp_path / "audit.jsonl")}})


def test_expiry_and_unenroll_reach_the_running_matcher(env):
    tmp, clock, audit, store = env
    service_store = store()
    service_store.enroll("s-1", "staff", "HR-1", T0 + timedelta(minutes=30), unit(np.random.default_rng(1)))
    service_store.enroll("vip-1", "vip", "C-1", T0 + timedelta(days=30), unit(np.random.default_rng(2)))
    rec = Recognizer(config(tmp), service_store, audit)
    ts = 1000.0
    rec.observe([], None, ts)
    assert rec.votes.matcher.best(service_store.entries["s-1"].vectors[0]) is not None

    clock.t = T0 + timedelta(minutes=31)  # expired, but the next purge is not due yet
    rec.observe([], None, ts + 30)
    assert "s-1" in service_store.entries
    rec.observe([], None, ts + 61)  # purge_every_s later
    assert "s-1" not in service_store.entries and audit.entries("s-1")[-1]["event"] == "expire"

    vip = service_store.entries["vip-1"].vectors[0]
    store().unenroll("vip-1")  # the CLI, another process, beside the service
    assert rec.votes.matcher.best(vip) is not None  # not yet reloaded
    rec.observe([], None, ts + 61 + RELOAD_EVERY_S)
    assert rec.votes.matcher.best(vip) is None and service_store.entries == {}
    assert set(GalleryStore(tmp / "gallery.enc", KEY, audit, now=clock).entries) == set()
