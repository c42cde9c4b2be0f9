"""The enrollment gallery, encrypted at rest on the device (AES-256-GCM, `cryptography`).

File: MAGIC | 12-byte nonce | AESGCM(JSON of every entry), rewritten whole (new nonce, temp file, fsync, rename) on
every change, so an unenrolled ref's bytes are not in the new file, not even encrypted. Entries: opaque ref, list,
basis record id, expiry, threshold, SFace embeddings. Expired entries are purged on load and by `purge_expired`.

Every write bumps the file's generation (inside the encrypted part), and the unit keeps the highest generation it
ever held beside the file. A copy older than that (a controller's stale blob distributed after an unenroll) would
bring removed people back: it is refused, and the running service then recognises nobody until a current gallery
arrives (`footfall-edge check` names the problem).
"""
from __future__ import annotations

import base64
import json
import logging
import os
import re
import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from footfall.protocol.topics import ID_PATTERN

from .audit import AuditLog, owned_like

log = logging.getLogger(__name__)
MAGIC = b"FFGAL1\n"
REF_RE = re.compile(ID_PATTERN)  # refs ride alerts as ids: plain, and opaque (a CRM number, never a name)
MAX_FACES = 10
THRESHOLD_STEP = 0.05  # a confirmed false match raises that entry's threshold by this much
MAX_THRESHOLD = 0.95


class GalleryError(ValueError):
    pass


def parse_key(raw: bytes) -> bytes:
    """The key file / credential: 64 hex characters or 32 raw bytes (`openssl rand -hex 32`)."""
    text = raw.strip()
    if len(text) == 64:
        try:
            return bytes.fromhex(text.decode("ascii"))
        except (UnicodeDecodeError, ValueError):
            pass
    if len(raw) == 32:
        return raw
    raise GalleryError("gallery key must be 32 bytes or 64 hex characters (openssl rand -hex 32)")


@dataclass(frozen=True)
class Entry:
    ref: str
    list: str
    basis: str  # consent / legal-basis record id
    expires: datetime  # UTC; purged from then on
    enrolled: datetime
    vectors: np.ndarray = field(repr=False)  # (n, 128) float32, L2-normalised
    threshold: float | None = None  # raised by "that was wrong" feedback; None: the list's threshold

    def to_json(self) -> dict:
        return {"ref": self.ref, "list": self.list, "basis": self.basis, "expires": self.expires.isoformat(),
                "enrolled": self.enrolled.isoformat(), "threshold": self.threshold,
                "vectors": base64.b64encode(np.ascontiguousarray(self.vectors, np.float32).tobytes()).decode(),
                "dim": int(self.vectors.shape[1])}

    @classmethod
    def from_json(cls, d: dict) -> "Entry":
        v = np.frombuffer(base64.b64decode(d["vectors"]), np.float32).reshape(-1, d["dim"]).copy()
        return cls(d["ref"], d["list"], d["basis"], datetime.fromisoformat(d["expires"]),
                   datetime.fromisoformat(d["enrolled"]), v, d["threshold"])


def _now() -> datetime:
    return datetime.now(timezone.utc)


class GalleryStore:
    def __init__(self, path: Path, key: bytes, audit: AuditLog, now=_now, strict: bool = True):
        """strict: a refused file raises GalleryError (CLI, check); otherwise (the running service) it leaves the
        gallery empty, `problem` saying why, so counting goes on and nobody is recognised from a refused file."""
        self.path, self._aead, self.audit, self._now = Path(path), AESGCM(parse_key(key)), audit, now
        self.entries: dict[str, Entry] = {}
        self.generation = 0  # of the file: bumped by every write, on any unit
        self.problem: str | None = None  # why the file on disk was refused (strict=False)
        self.strict = strict
        self.version = 0  # bumped on every change, so a matcher knows to rebuild its matrix
        self._stamp: tuple | None = None
        self.refresh()
        self.purge_expired()

    def _file_stamp(self) -> tuple | None:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        return st.st_mtime_ns, st.st_size, st.st_ino

    def refresh(self) -> bool:
        """Reload when another process (the CLI beside the running service) changed the file. Every change
        starts with this, so the service never writes back an entry the CLI has just unenrolled."""
        stamp = self._file_stamp()
        if stamp == self._stamp:
            return False
        self._stamp = stamp  # a refused file is not read again until it changes
        try:
            self._load()
            self.problem = None
        except GalleryError as e:
            if self.strict:
                raise
            self.entries, self.problem = {}, str(e)
            log.error("recognition off: %s", e)
        self.version += 1
        return True

    def _load(self) -> None:
        if not self.path.exists():
            self.entries = {}
            return
        blob = self.path.read_bytes()
        if not blob.startswith(MAGIC):
            raise GalleryError(f"{self.path}: not a footfall gallery")
        nonce, ct = blob[len(MAGIC):len(MAGIC) + 12], blob[len(MAGIC) + 12:]
        try:
            data = json.loads(self._aead.decrypt(nonce, ct, MAGIC))
        except InvalidTag:
            raise GalleryError(f"{self.path}: wrong key or a damaged file") from None
        generation, held = int(data.get("generation", 0)), self._held()
        if generation < held:
            raise GalleryError(f"{self.path}: generation {generation} is older than generation {held} this unit held: "
                               "a stale copy was distributed (people removed since would come back); distribute "
                               "the current gallery")
        self.entries, self.generation = {d["ref"]: Entry.from_json(d) for d in data["entries"]}, generation
        if generation > held:
            self._hold(generation)

    def _held_path(self) -> Path:
        return self.path.with_name(self.path.name + ".generation")

    def _held(self) -> int:
        try:
            return int(self._held_path().read_text())
        except (FileNotFoundError, ValueError):
            return 0

    def _hold(self, generation: int) -> None:
        """Remember the highest generation held (written beside the gallery, owned like it)."""
        self._write(self._held_path(), str(generation).encode())

    def _write(self, path: Path, data: bytes) -> None:
        """Whole or not at all (temp file, fsync, rename), 0600, owned like the gallery."""
        tmp = path.with_name(path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        owned_like(fd, self.path)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)

    def _save(self) -> None:
        generation = self.generation + 1
        plain = json.dumps({"generation": generation, "entries": [e.to_json() for e in self.entries.values()]}).encode()
        nonce = secrets.token_bytes(12)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._write(self.path, MAGIC + nonce + self._aead.encrypt(nonce, plain, MAGIC))
        self._stamp = self._file_stamp()
        self.generation = generation
        self._hold(generation)
        self.version += 1

    def enroll(self, ref: str, list_: str, basis: str, expires: datetime, vectors: np.ndarray) -> Entry:
        self.refresh()
        if not REF_RE.match(ref):
            raise GalleryError(f"ref {ref!r} must match {ID_PATTERN} (an opaque id, never a name)")
        if not basis.strip():
            raise GalleryError("every enrollment needs its consent / legal-basis record id")
        if expires <= self._now():
            raise GalleryError(f"expiry {expires.isoformat()} is not in the future")
        vectors = np.asarray(vectors, np.float32)
        if vectors.ndim != 2 or not 1 <= len(vectors) <= MAX_FACES:
            raise GalleryError(f"between 1 and {MAX_FACES} face embeddings needed, got {len(vectors)}")
        vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        replaced = ref in self.entries
        e = Entry(ref, list_, basis, expires, self._now(), vectors)
        self.entries[ref] = e
        self._save()
        self.audit.record("enroll", ref, list_, basis_tag=self.audit.tag(basis), expires=expires.isoformat(), faces=len(vectors),
                          replaced=replaced)
        return e

    def unenroll(self, ref: str, reason: str = "request") -> bool:
        self.refresh()
        e = self.entries.pop(ref, None)
        if e is None:
            return False
        self._save()
        self.audit.record("remove", ref, e.list, reason=reason)
        return True

    def purge_expired(self) -> list[str]:
        self.refresh()
        now = self._now()
        gone = [e for e in self.entries.values() if e.expires <= now]
        if not gone:
            return []
        for e in gone:
            del self.entries[e.ref]
        self._save()
        for e in gone:
            self.audit.record("expire", e.ref, e.list, expired=e.expires.isoformat())
        return [e.ref for e in gone]

    def raise_threshold(self, ref: str, current: float) -> float:
        """'That was wrong': this entry now needs a higher similarity (a look-alike matched it)."""
        self.refresh()
        e = self.entries[ref]
        new = round(min(max(e.threshold or current, current) + THRESHOLD_STEP, MAX_THRESHOLD), 3)
        self.entries[ref] = replace(e, threshold=new)
        self._save()
        return new

    def summary(self) -> list[dict]:
        """What `footfall-edge galleries` shows: never a face or an embedding."""
        return [{"ref": e.ref, "list": e.list, "basis": e.basis, "faces": len(e.vectors),
                 "expires": e.expires.isoformat(), "threshold": e.threshold}
                for e in sorted(self.entries.values(), key=lambda e: (e.list, e.ref))]
