"""API tokens and web logins, stored hashed in SQLite (state_dir/api.sqlite); made and revoked by
`footfall-cloud token ...`.

A token is 32 random bytes shown once; only its SHA-256 is kept (a random 256-bit secret needs no slow hash, and
the lookup must be fast: it runs on every API call). A login's password is kept as Werkzeug's scrypt hash.
"""
from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from werkzeug.security import check_password_hash, generate_password_hash

ROLES = ("admin", "analyst", "manager", "installer", "security", "crm")  # security, crm: recognition only
TOKEN_PREFIX = "fft_"
_DUMMY_HASH = generate_password_hash("not a password")  # equal work for unknown names (no user enumeration by time)


@dataclass(frozen=True)
class Principal:
    name: str
    role: str
    stores: tuple[str, ...] = ()
    kind: str = "token"  # token | login


class TokenError(ValueError):
    pass


def _sha(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class TokenStore:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        with self._db() as db:
            db.execute("""CREATE TABLE IF NOT EXISTS principals (
                name TEXT PRIMARY KEY, kind TEXT NOT NULL, role TEXT NOT NULL, stores TEXT NOT NULL,
                secret_hash TEXT NOT NULL, created REAL NOT NULL, revoked REAL)""")
            db.execute("CREATE INDEX IF NOT EXISTS by_hash ON principals(secret_hash)")
        self.path.chmod(0o600)

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:  # one connection per thread (the WSGI server's workers)
            db = self._local.db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
        return db

    def create(self, name: str, role: str, stores: list[str] | tuple[str, ...] = (), *, login: bool = False,
               password: str | None = None) -> str:
        """Returns the token (or the login's password, made up when not given): shown once, never stored."""
        if role not in ROLES:
            raise TokenError(f"role: {role!r} is not one of {', '.join(ROLES)}")
        if role == "manager" and not stores:
            raise TokenError("stores: a manager needs the stores it may see (--store, repeatable)")
        if role != "manager" and stores:
            raise TokenError(f"stores: only a manager is limited to stores; an {role} sees " +
                             ("everything" if role != "installer" else "the fleet"))
        if not name or len(name) > 64 or not all(c.isalnum() or c in "-_.@" for c in name):
            raise TokenError("name: 1-64 letters, digits or - _ . @")
        if login:
            secret = password or secrets.token_urlsafe(12)
            if len(secret) < 10:
                raise TokenError("password: at least 10 characters")
            stored = generate_password_hash(secret)
        else:
            secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
            stored = _sha(secret)
        try:
            self._db().execute("INSERT INTO principals VALUES (?, ?, ?, ?, ?, ?, NULL)",
                               (name, "login" if login else "token", role, json.dumps(sorted(stores)), stored, time.time()))
        except sqlite3.IntegrityError:
            raise TokenError(f"name: {name!r} exists (revoke it first, or choose another name)") from None
        return secret

    def revoke(self, name: str) -> bool:
        """Deletes the hash and marks the name revoked; a session of a revoked login ends at its next request."""
        cur = self._db().execute("UPDATE principals SET revoked = ?, secret_hash = '' WHERE name = ? AND revoked IS NULL",
                                 (time.time(), name))
        return cur.rowcount == 1

    def delete_revoked(self, name: str) -> None:
        self._db().execute("DELETE FROM principals WHERE name = ? AND revoked IS NOT NULL", (name,))

    def list(self) -> list[dict]:
        rows = self._db().execute("SELECT name, kind, role, stores, created, revoked FROM principals ORDER BY name").fetchall()
        return [{"name": n, "kind": k, "role": r, "stores": json.loads(s), "created": c, "revoked": rv}
                for n, k, r, s, c, rv in rows]

    @staticmethod
    def _principal(row) -> Principal:
        name, kind, role, stores = row
        return Principal(name, role, tuple(json.loads(stores)), kind)

    def by_token(self, token: str) -> Principal | None:
        if not token.startswith(TOKEN_PREFIX):
            return None
        row = self._db().execute("SELECT name, kind, role, stores FROM principals WHERE secret_hash = ? AND "
                                 "kind = 'token' AND revoked IS NULL", (_sha(token),)).fetchone()
        return self._principal(row) if row else None

    def by_name(self, name: str) -> Principal | None:
        """A principal that is still valid (sessions re-check it on every request)."""
        row = self._db().execute("SELECT name, kind, role, stores FROM principals WHERE name = ? AND revoked IS NULL",
                                 (name,)).fetchone()
        return self._principal(row) if row else None

    def login(self, name: str, password: str) -> Principal | None:
        row = self._db().execute("SELECT name, kind, role, stores, secret_hash FROM principals WHERE name = ? AND "
                                 "kind = 'login' AND revoked IS NULL", (name,)).fetchone()
        ok = check_password_hash(row[4] if row else _DUMMY_HASH, password)
        return self._principal(row[:4]) if row and ok else None
