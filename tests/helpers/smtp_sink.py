"""A real SMTP server for tests (aiosmtpd): STARTTLS required before AUTH, or implicit TLS; it keeps what it
receives and can refuse the next deliveries with a 451 (a transient outage) or be started late."""
from __future__ import annotations

import email
import email.policy
import ssl
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class Sink:
    user: str = "reports"
    password: str = "s3cret-pw"
    messages: list[EmailMessage] = field(default_factory=list)
    refuse_next: int = 0          # answer this many DATA commands with 451 (try again later)
    refused: int = 0
    reject: set = field(default_factory=set)  # recipients answered with 550 (permanent)
    logins: int = 0
    received: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    # aiosmtpd handler hooks
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.reject:
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            if self.refuse_next > 0:
                self.refuse_next -= 1
                self.refused += 1
                return "451 4.3.0 Temporary failure, try again later"
            msg = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
            tls = session.ssl or server.transport.get_extra_info("ssl_object") is not None
            msg["X-Sink-Tls"] = "yes" if tls else "no"
            msg["X-Sink-Auth"] = str(session.authenticated)
            self.messages.append(msg)
            self.received.set()
        return "250 OK"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == self.user \
            and auth_data.password.decode() == self.password
        if ok:
            self.logins += 1
        return AuthResult(success=ok, handled=False)

    def by_report(self, key: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["X-Footfall-Report"] == key]


def server_context(crt, key) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(str(crt), str(key))
    return ctx


def start(sink: Sink, port: int, *, crt=None, key=None, implicit_tls: bool = False, auth: bool = True) -> Controller:
    kw: dict = {}
    if auth:
        # aiosmtpd only counts STARTTLS as TLS for auth_require_tls; with implicit TLS every byte is encrypted anyway
        kw.update(authenticator=sink.authenticate, auth_require_tls=not implicit_tls, auth_required=True)
    if crt is not None:
        if implicit_tls:
            kw["ssl_context"] = server_context(crt, key)
        else:
            kw.update(tls_context=server_context(crt, key), require_starttls=True)
    c = Controller(sink, hostname="127.0.0.1", port=port, ready_timeout=10, **kw)
    c.start()
    return c
