from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from postal_tracker.notify.models import Medium


@dataclass(frozen=True)
class Outgoing:
    """One message as claimed from the outbox, detached from any session."""

    outbox_id: int
    medium: Medium
    recipient: str
    subject: str
    body: str

    @property
    def idempotency_key(self) -> str:
        return f"outbox-{self.outbox_id}"


class SendError(Exception):
    """A send that did not go through. ``permanent`` when trying again cannot
    help (the gateway or server refused the message itself); the message text
    never holds the full recipient."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class Channel(Protocol):
    def send(self, message: Outgoing) -> None:
        """Hand the message over, or raise SendError."""

    def close(self) -> None:
        """Release connections; the channel may be used again afterwards."""
