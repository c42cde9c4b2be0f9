"""Encrypted gallery: unenroll leaves no bytes behind, expiry purges on schedule, the audit log holds no face."""
import base64
import json
from datetime import timedelta

import numpy as np
import pytest
from gallery_testkit import KEY, T0, unit

from footfall.edge.recognition.audit import ref_tag
from footfall.edge.recognition.matcher import Matcher, TrackVotes
from footfall.edge.recognition.store import MAGIC, GalleryError, GalleryStore

def traces(raw: bytes, vectors: np.ndarray, ref: str) -> list[str]:
    """Ways the entry could still be in these bytes: the ref, the raw floats, their base64, any one float."""
    found = []
    f32 = np.ascontiguousarray(vectors, np.float32).tobytes()
    if ref.encode() in raw:
        found.append("ref")
    if f32 in raw or base64.b64encode(f32) in raw:
        found.append("embedding")
    if any(vectors[0, i:i + 2].tobytes() in raw for i in range(0, 128, 2)):
        found.append("embedding fragment")
    return found


def test_encrypted_at_rest_and_unenroll_leaves_no_trace(env):
    tmp, clock, audit, store = env
    rng = np.random.default_rng(1)
    alice, bob = unit(rng), unit(rng)
    s = store()
    alice = s.enroll("vip-0012", "vip", "CONSENT-7", T0 + timedelta(days=30), alice).vectors  # as stored
    bob = s.enroll("vip-0013", "vip", "CONSENT-8", T0 + timedelta(days=30), bob).vectors
    raw = (tmp / "gallery.enc").read_bytes()
    assert raw.startswith(MAGIC) and traces(raw, alice, "vip-0012") == []  # encrypted: nothing readable
    assert set(store().entries) == {"vip-0012", "vip-0013"}  # and it decrypts with the key

    assert s.unenroll("vip-0012")
    raw = (tmp / "gallery.enc").read_bytes()
    assert not (tmp / "gallery.enc.tmp").exists()
    reopened = store()
    assert set(reopened.entries) == {"vip-0013"}
    # decrypted, the file has no byte of the removed person either
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    plain = AESGCM(bytes(range(32))).decrypt(raw[len(MAGIC):len(MAGIC) + 12], raw[len(MAGIC) + 12:], MAGIC)
    assert traces(plain, alice, "vip-0012") == [] and traces(plain, bob, "vip-0013") == ["ref", "embedding"]
    log = (tmp / "audit.jsonl").read_bytes()
    assert traces(log, alice, "vip-0012") == [] and traces(log, bob, "vip-0013") == []
    events = [json.loads(line)["event"] for line in log.decode().splitlines()]
    assert events == ["enroll", "enroll", "remove"]
    assert [e["event"] for e in audit.entries("vip-0012")] == ["enroll", "remove"]  # provable when asked by ref


def test_wrong_key_is_refused(env):
    tmp, clock, audit, store = env
    store().enroll("s-1", "staff", "HR-1", T0 + timedelta(days=1), unit(np.random.default_rng(2)))
    with pytest.raises(GalleryError, match="wrong key"):
        GalleryStore(tmp / "gallery.enc", bytes(32), audit)


def test_expired_entries_disappear_on_schedule(env):
    tmp, clock, audit, store = env
    rng = np.random.default_rng(3)
    s = store()
    s.enroll("s-1", "staff", "HR-1", T0 + timedelta(hours=2), unit(rng))
    s.enroll("s-2", "staff", "HR-2", T0 + timedelta(days=9), unit(rng))
    clock.t = T0 + timedelta(hours=1)
    assert s.purge_expired() == []
    clock.t = T0 + timedelta(hours=2, seconds=1)
    assert s.purge_expired() == ["s-1"] and set(s.entries) == {"s-2"}
    assert set(store().entries) == {"s-2"}
    assert audit.entries("s-1")[-1]["event"] == "expire"
    clock.t = T0 + timedelta(days=10)
    assert store().entries == {}  # also purged on load


def test_enroll_refuses_names_past_expiry_and_missing_basis(env):
    _, _, _, store = env
    s, v = store(), unit(np.random.default_rng(4))
    with pytest.raises(GalleryError, match="opaque id"):
        s.enroll("Jane Doe", "vip", "C-1", T0 + timedelta(days=1), v)
    with pytest.raises(GalleryError, match="not in the future"):
        s.enroll("vip-1", "vip", "C-1", T0, v)
    with pytest.raises(GalleryError, match="legal-basis record"):
        s.enroll("vip-1", "vip", " ", T0 + timedelta(days=1), v)


def test_a_running_store_never_resurrects_what_the_cli_removed(env):
    _, _, _, store = env
    rng = np.random.default_rng(5)
    service, cli = store(), None
    service.enroll("s-1", "staff", "HR-1", T0 + timedelta(days=5), unit(rng))
    cli = store()
    cli.unenroll("s-1")
    service.enroll("s-2", "staff", "HR-2", T0 + timedelta(days=5), unit(rng))  # the service writes after the CLI
    assert set(store().entries) == {"s-2"}


def test_agreement_over_frames_and_feedback_raises_the_threshold(env):
    _, _, audit, store = env
    rng = np.random.default_rng(6)
    s = store()
    faces = unit(rng, 2)
    s.enroll("vip-1", "vip", "C-1", T0 + timedelta(days=5), faces)
    votes = TrackVotes(Matcher(s, {"vip": 0.5}), min_frames=2)
    near = faces[0] + 0.05 * unit(rng, 1)[0]
    near /= np.linalg.norm(near)
    assert votes.vote(7, 1, near) is None  # one frame is not enough
    assert votes.vote(7, 1, near) is None  # nor the same frame twice
    m = votes.vote(7, 2, near)
    assert m is not None and m.ref == "vip-1" and m.score > 0.9
    stranger = unit(rng, 1)[0]
    assert all(votes.vote(8, i, stranger) is None for i in range(10))
    # a look-alike at 0.6 matches; after "that was wrong" three times the entry needs 0.65 and it no longer does
    look = 0.6 * faces[0] + 0.8 * np.linalg.qr(np.stack([faces[0], stranger]).T)[0][:, 1] * np.sign(1)
    look /= np.linalg.norm(look)
    assert 0.55 < float(look @ faces[0]) < 0.65
    matcher = Matcher(s, {"vip": 0.5})
    assert matcher.best(look) is not None
    for _ in range(3):
        s.raise_threshold("vip-1", 0.5)
    assert s.entries["vip-1"].threshold == 0.65 and matcher.best(look) is None
    assert ref_tag(bytes(range(32)), "vip-1") == audit.entries("vip-1")[0]["ref_tag"]


def test_a_stale_copy_distributed_after_an_unenroll_is_refused(env):
    """The controller's old blob copied back over a unit's gallery would bring a removed person back."""
    tmp, clock, audit, store = env
    rng = np.random.default_rng(7)
    s = store()
    s.enroll("vip-0012", "vip", "CONSENT-7", T0 + timedelta(days=30), unit(rng))
    s.enroll("vip-0013", "vip", "CONSENT-8", T0 + timedelta(days=30), unit(rng))
    stale = (tmp / "gallery.enc").read_bytes()  # fetched to the controller before the unenroll
    assert s.unenroll("vip-0012")
    current = (tmp / "gallery.enc").read_bytes()

    (tmp / "gallery.enc").write_bytes(stale)  # the playbook distributes the old copy
    with pytest.raises(GalleryError, match="generation 2 is older than generation 3 this unit held: a stale copy"):
        store()
    running = GalleryStore(tmp / "gallery.enc", KEY, audit, now=clock, strict=False)  # the service
    assert running.entries == {} and "stale copy" in running.problem  # nobody recognised, counting goes on

    (tmp / "gallery.enc").write_bytes(current)  # the current gallery distributed: taken up on the next reload
    assert running.refresh() and set(running.entries) == {"vip-0013"} and running.problem is None
    other_unit = tmp / "unit-b"  # a unit that never held a newer one takes any copy
    other_unit.mkdir()
    (other_unit / "gallery.enc").write_bytes(stale)
    assert set(GalleryStore(other_unit / "gallery.enc", KEY, audit).entries) == {"vip-0012", "vip-0013"}
