"""The `reports:` section of cloud.yaml: SMTP, who gets which report of which store, when the daily one goes out."""
from __future__ import annotations

import re
from datetime import time
from pathlib import Path
from typing import Annotated, Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, Field, model_validator

from footfall.protocol.configfile import Id, SecretRef, Strict

ReportKind = Literal["daily", "weekly", "monthly"]
KINDS: tuple[ReportKind, ...] = ("daily", "weekly", "monthly")


def _address(value: str) -> str:
    # check_deliverability=False: no DNS lookups while validating a config file (offline machines, tests).
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as e:
        raise ValueError(f"{value!r} is not a valid email address: {e}") from None


def _sender(value: str) -> str:
    """'Name <addr@host>' or a bare address."""
    m = re.fullmatch(r"\s*(?:(.*?)\s*<([^<>]+)>|([^<>]+))\s*", value)
    if not m:
        raise ValueError(f"{value!r}: expected 'Name <address>' or an address")
    name, addr = (m.group(1) or ""), (m.group(2) or m.group(3))
    addr = _address(addr.strip())
    return f"{name} <{addr}>" if name else addr


Address = Annotated[str, AfterValidator(_address)]
Sender = Annotated[str, AfterValidator(_sender)]


def _local_time(value: str) -> str:
    try:
        time.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r}: expected a local time HH:MM") from None
    return value


LocalTime = Annotated[str, AfterValidator(_local_time)]


class Smtp(Strict):
    host: str = Field(min_length=1)
    # starttls: plain connection upgraded (port 587); tls: implicit TLS from the first byte (port 465);
    # none: unencrypted, only for a sink on this machine (the demo), refused elsewhere.
    security: Literal["starttls", "tls", "none"] = "starttls"
    port: int | None = Field(default=None, ge=1, le=65535, description="default: 587 starttls, 465 tls, 25 none")
    username: str | None = None
    password: SecretRef | None = None
    ca: Path | None = Field(default=None, description="CA bundle to verify the server (default: the system's)")
    sender: Sender
    timeout_s: float = Field(default=30.0, gt=0, le=600)

    @model_validator(mode="after")
    def _checks(self) -> "Smtp":
        if (self.username is None) != (self.password is None):
            raise ValueError("username and password go together")
        if self.security == "none" and self.host not in ("localhost", "127.0.0.1", "::1"):
            raise ValueError(f"security: none sends mail (and a password) in clear: only allowed to localhost, not {self.host!r}")
        if self.security == "none" and self.password is not None:
            raise ValueError("security: none would send the password in clear; use starttls or tls")
        return self

    @property
    def effective_port(self) -> int:
        return self.port or {"starttls": 587, "tls": 465, "none": 25}[self.security]


class Retry(Strict):
    attempts: int = Field(default=4, ge=1, le=20)
    initial_s: float = Field(default=2.0, ge=0, le=600)
    max_s: float = Field(default=60.0, ge=0, le=3600)


class StoreRecipients(Strict):
    """Who gets a store's reports, and at what local time (the site's time zone) its daily summary goes out."""

    site: Id
    store: Id
    daily: list[Address] = Field(default_factory=list)
    weekly: list[Address] = Field(default_factory=list)
    monthly: list[Address] = Field(default_factory=list)
    send_at: LocalTime | None = Field(default=None, description="local HH:MM; default reports.send_at")


class ChainRecipients(Strict):
    """The roll-up over every store (regional managers, analysts)."""

    weekly: list[Address] = Field(default_factory=list)
    monthly: list[Address] = Field(default_factory=list)


class Reports(Strict):
    smtp: Smtp
    send_at: LocalTime = Field(default="07:00", description="local time the daily summary goes out (the store's site's time zone)")
    stores: list[StoreRecipients] = Field(default_factory=list)
    chain: ChainRecipients = ChainRecipients()
    retry: Retry = Retry()
    language: Literal["en"] = "en"

    @model_validator(mode="after")
    def _unique(self) -> "Reports":
        keys = [(s.site, s.store) for s in self.stores]
        dupes = sorted({f"{a}/{b}" for a, b in keys if keys.count((a, b)) > 1})
        if dupes:
            raise ValueError(f"stores listed twice: {', '.join(dupes)}")
        return self

    def recipients(self, site: str, store: str | None, kind: ReportKind) -> list[str]:
        if store is None:
            return list(getattr(self.chain, kind, []) if kind != "daily" else [])
        for s in self.stores:
            if (s.site, s.store) == (site, store):
                return list(getattr(s, kind))
        return []

    def send_time(self, site: str, store: str) -> time:
        for s in self.stores:
            if (s.site, s.store) == (site, store) and s.send_at:
                return time.fromisoformat(s.send_at)
        return time.fromisoformat(self.send_at)
