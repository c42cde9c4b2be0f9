"""Sending through the configured SMTP server: STARTTLS (587) or implicit TLS (465), AUTH with the password from
its SecretRef (a file or a systemd credential), retried with exponential backoff on transient failures."""
from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage

from tenacity import RetryError, Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from .settings import Retry, Smtp

log = logging.getLogger(__name__)


class SendError(RuntimeError):
    def __init__(self, message: str, attempts: int):
        super().__init__(message)
        self.attempts = attempts


def _transient(e: BaseException) -> bool:
    """Worth another try: the connection failed or the server answered 4xx. A 5xx (bad address, refused login)
    will be refused again."""
    if isinstance(e, (smtplib.SMTPAuthenticationError, smtplib.SMTPNotSupportedError)):
        return False  # a wrong password, or a server without STARTTLS / AUTH: the config's to fix
    if isinstance(e, smtplib.SMTPRecipientsRefused):
        return all(code < 500 for code, _ in e.recipients.values())
    if isinstance(e, smtplib.SMTPResponseException):
        return e.smtp_code < 500
    return isinstance(e, (OSError, smtplib.SMTPException))  # refused / reset connection, timeout, TLS failure


def _context(cfg: Smtp) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(cfg.ca) if cfg.ca else None)


def _deliver_once(cfg: Smtp, msg: EmailMessage, password: str | None) -> None:
    host, port = cfg.host, cfg.effective_port
    if cfg.security == "tls":
        conn: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=cfg.timeout_s, context=_context(cfg))
    else:
        conn = smtplib.SMTP(host, port, timeout=cfg.timeout_s)
    try:
        conn.ehlo()
        if cfg.security == "starttls":
            conn.starttls(context=_context(cfg))  # fails (SMTPNotSupportedError) rather than sending in clear
            conn.ehlo()
        if cfg.username:
            conn.login(cfg.username, password or "")
        conn.send_message(msg)
    finally:
        try:
            conn.quit()
        except (smtplib.SMTPException, OSError):
            conn.close()


@dataclass(frozen=True)
class Sender:
    smtp: Smtp
    retry: Retry

    def send(self, msg: EmailMessage) -> int:
        """Deliver; the number of attempts it took. Raises SendError after the last attempt or a permanent refusal."""
        password = self.smtp.password.read().decode() if self.smtp.password else None
        attempts = 0
        retrying = Retrying(
            stop=stop_after_attempt(self.retry.attempts),
            wait=wait_exponential(multiplier=self.retry.initial_s, max=self.retry.max_s),
            retry=retry_if_exception(_transient),
            before_sleep=lambda rs: log.warning("SMTP %s:%s: %s (attempt %d of %d, retrying in %.0f s)", self.smtp.host,
                                                self.smtp.effective_port, rs.outcome.exception(), rs.attempt_number,
                                                self.retry.attempts, rs.next_action.sleep),
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    attempts = attempt.retry_state.attempt_number
                    _deliver_once(self.smtp, msg, password)
        except RetryError as e:  # pragma: no cover (reraise=True raises the last error itself)
            raise SendError(str(e), attempts) from None
        except (OSError, smtplib.SMTPException) as e:
            raise SendError(f"SMTP {self.smtp.host}:{self.smtp.effective_port}: {e.__class__.__name__}: {e}", attempts) from None
        return attempts
