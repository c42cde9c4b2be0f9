"""The device's recognition audit log: JSON lines of enroll / remove / expire / match / feedback.

Never a face or an embedding, and never the ref itself: a keyed hash of it (HMAC with the gallery key), so the log
proves what happened to a given person when asked with their ref, yet lists nobody once they are unenrolled.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
from pathlib import Path


def owned_like(fd: int, path: Path) -> None:
    """Run as root (`sudo footfall-edge enroll`), give a file the owner of what it replaces, or of its directory
    (the service's StateDirectory): the service, not root, must be able to read and rewrite it."""
    if os.geteuid() != 0:
        return
    st = (path if path.exists() else path.parent).stat()
    os.fchown(fd, st.st_uid, st.st_gid)


def ref_tag(key: bytes, ref: str) -> str:
    return hmac.new(key, b"footfall-audit-ref\0" + ref.encode(), hashlib.sha256).hexdigest()[:24]


class AuditLog:
    def __init__(self, path: Path, key: bytes, device: str = ""):
        self.path, self._key, self.device = Path(path), key, device

    def tag(self, value: str) -> str:
        """A keyed tag of another identifying value (the consent record id): provable, not listed."""
        return ref_tag(self._key, value)

    def record(self, event: str, ref: str, list_: str, **fields) -> dict:
        entry = {"ts": round(time.time(), 3), "event": event, "device": self.device, "list": list_,
                 "ref_tag": ref_tag(self._key, ref), **fields}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        owned_like(fd, self.path)
        with os.fdopen(fd, "a") as f:
            f.write(json.dumps(entry, sort_keys=True) + "\n")
        return entry

    def unsent(self) -> list[dict]:
        """Lines not yet handed on to the cloud (as audit events, without faces). The position is kept beside the
        log (`.sent`), so lines the CLI wrote while the service was down go out when it runs again."""
        mark = self.path.with_name(self.path.name + ".sent")
        try:
            start = int(mark.read_text() or 0)
        except (FileNotFoundError, ValueError):
            start = 0
        if not self.path.exists() or self.path.stat().st_size <= start:
            return []
        with self.path.open("rb") as f:
            f.seek(start)
            data = f.read()
        end = data.rfind(b"\n") + 1  # whole lines only: the CLI may be writing one
        if not end:
            return []
        mark.write_text(str(start + end))
        return [json.loads(line) for line in data[:end].splitlines() if line.strip()]

    def entries(self, ref: str | None = None) -> list[dict]:
        if not self.path.exists():
            return []
        rows = [json.loads(line) for line in self.path.read_text().splitlines() if line.strip()]
        return rows if ref is None else [r for r in rows if r["ref_tag"] == ref_tag(self._key, ref)]
