from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from postal_tracker.config import PREFIX, ConfigError, Settings
from postal_tracker.notify.channels.base import Outgoing, SendError

# Statuses that say "later": the gateway is busy, rate-limits us, or timed out.
RETRY_STATUSES = frozenset({408, 425, 429})


def sms_payload(message: Outgoing, sender: str) -> dict[str, str]:
    return {
        "to": message.recipient,
        "from": sender,
        "text": message.body,
        "client_ref": message.idempotency_key,
    }


@dataclass
class SmsGatewayChannel:
    """SMS through an HTTP gateway: a JSON POST with basic auth, carrying the
    outbox id as ``client_ref`` and ``Idempotency-Key``."""

    url: str
    sender: str
    username: str = ""
    password: str = field(default="", repr=False)  # kept out of tracebacks
    timeout: float = 10.0

    @classmethod
    def from_settings(cls, settings: Settings) -> SmsGatewayChannel:
        url = settings.sms_url.strip()
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(
                f"{PREFIX}SMS_URL must be the gateway's http:// or https:// address, not {url!r}."
            )
        if not settings.sms_sender.strip():
            raise ConfigError(
                f"{PREFIX}SMS_SENDER is not set: the sender name (brandname) the "
                "gateway shows to citizens."
            )
        if settings.sms_username and not settings.sms_password:
            raise ConfigError(f"{PREFIX}SMS_PASSWORD is not set for {PREFIX}SMS_USERNAME.")
        return cls(
            url=url,
            sender=settings.sms_sender.strip(),
            username=settings.sms_username,
            password=settings.sms_password,
            timeout=settings.notify_timeout_seconds,
        )

    def send(self, message: Outgoing) -> None:
        body = json.dumps(sms_payload(message, self.sender)).encode()
        request = urllib.request.Request(self.url, data=body, method="POST")
        request.add_header("Content-Type", "application/json")
        request.add_header("Idempotency-Key", message.idempotency_key)
        if self.username:
            token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
            request.add_header("Authorization", f"Basic {token}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            status = exc.code
            exc.close()
            permanent = 400 <= status < 500 and status not in RETRY_STATUSES
            raise SendError(f"SMS gateway answered HTTP {status}", permanent=permanent) from None
        except (OSError, ValueError) as exc:
            raise SendError(f"SMS gateway unreachable: {type(exc).__name__}: {exc}") from None

    def close(self) -> None:
        """Each send is its own HTTP request: nothing to release."""
