from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field
from email.utils import parseaddr

from postal_tracker.config import PREFIX, ConfigError, Settings
from postal_tracker.notify.channels.base import Outgoing, SendError
from postal_tracker.notify.channels.email_message import email_message

SMTPS_PORT = 465  # implicit TLS; other ports speak plain SMTP, upgraded by STARTTLS


@dataclass
class SmtpChannel:
    """Email over SMTP, one connection kept open across a batch."""

    host: str
    port: int
    sender: str
    username: str = ""
    password: str = field(default="", repr=False)  # kept out of tracebacks
    starttls: bool = True
    timeout: float = 10.0
    _conn: smtplib.SMTP | None = field(default=None, init=False, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpChannel:
        if not settings.smtp_host.strip():
            raise ConfigError(
                f"{PREFIX}SMTP_HOST is not set, but {PREFIX}NOTIFY_CHANNELS includes smtp: "
                "name the mail server (or leave smtp out of the channels)."
            )
        if not 0 < settings.smtp_port < 65536:
            raise ConfigError(f"{PREFIX}SMTP_PORT must be a port number, 1 to 65535.")
        if "@" not in parseaddr(settings.smtp_sender)[1]:
            raise ConfigError(
                f"{PREFIX}SMTP_SENDER must be the sender's address, e.g. "
                "'Bưu điện <thongbao@example.vn>', not "
                f"{settings.smtp_sender!r}."
            )
        if settings.smtp_username and not settings.smtp_password:
            raise ConfigError(f"{PREFIX}SMTP_PASSWORD is not set for {PREFIX}SMTP_USERNAME.")
        return cls(
            host=settings.smtp_host.strip(),
            port=settings.smtp_port,
            sender=settings.smtp_sender,
            username=settings.smtp_username,
            password=settings.smtp_password,
            starttls=settings.smtp_starttls,
            timeout=settings.notify_timeout_seconds,
        )

    def send(self, message: Outgoing) -> None:
        email = email_message(message, self.sender)
        try:
            conn = self._conn or self._connect()
            conn.send_message(email)
        except smtplib.SMTPRecipientsRefused as exc:
            # The recipient is the key of exc.recipients: report only the code.
            codes = [code for code, _ in exc.recipients.values()]
            raise SendError(
                f"SMTP refused the recipient ({codes})", permanent=_final(codes)
            ) from None
        except smtplib.SMTPResponseException as exc:
            self.close()
            raise SendError(
                f"SMTP {exc.smtp_code}: {_text(exc.smtp_error)}", permanent=_final([exc.smtp_code])
            ) from None
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise SendError(f"SMTP {type(exc).__name__}: {exc}") from None

    def _connect(self) -> smtplib.SMTP:
        conn: smtplib.SMTP
        if self.port == SMTPS_PORT:
            conn = smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
            )
        else:
            conn = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            if self.starttls:
                conn.starttls(context=ssl.create_default_context())
        if self.username:
            conn.login(self.username, self.password)
        self._conn = conn
        return conn

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            conn.quit()
        except (OSError, smtplib.SMTPException):
            conn.close()


def _final(codes: list[int]) -> bool:
    """5xx replies are final (RFC 5321); 4xx ones ask us to try later."""
    return bool(codes) and all(500 <= c < 600 for c in codes)


def _text(error: bytes | str) -> str:
    return error.decode("utf-8", "replace") if isinstance(error, bytes) else error
