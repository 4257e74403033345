from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from postal_tracker.db import UTCDateTime, enum_type, utcnow


class Medium(StrEnum):
    """How the citizen is reached; which adapter carries it is a setting."""

    EMAIL = "email"
    SMS = "sms"


class OutboxStatus(StrEnum):
    PENDING = "pending"  # due at next_attempt_at (claimed while claimed_until is ahead)
    SENT = "sent"
    FAILED = "failed"  # gave up; a supervisor alert was raised


class OutboxMessage(SQLModel, table=True):
    """One message to one citizen on one medium, rendered when it was queued
    (a later template change never alters it). Never deleted: it is the record
    of what the citizen was told.

    The relay claims a row by setting ``claimed_by``/``claimed_until`` in a
    short transaction of its own, sends outside it, then marks it sent; a claim
    that runs out (the relay died) makes the row due again, and the re-send
    carries the same id (``outbox-<id>``) so the receiver can drop the repeat.
    """

    __tablename__ = "outbox_message"
    __table_args__ = (
        # Enqueuing the same notice again (a retried request or job) is a no-op.
        UniqueConstraint("medium", "dedupe_key"),
        Index("ix_outbox_message_due", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    dossier_id: int = Field(foreign_key="dossier.id", index=True)
    kind: str = Field(max_length=40)
    medium: Medium = Field(sa_column=Column(enum_type(Medium), nullable=False))
    recipient: str = Field(max_length=254)  # E.164 phone or email address
    subject: str = Field(default="", max_length=300)  # email only
    body: str = Field(sa_column=Column(Text, nullable=False))
    dedupe_key: str = Field(max_length=200)
    context: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: OutboxStatus = Field(
        default=OutboxStatus.PENDING,
        sa_column=Column(enum_type(OutboxStatus), nullable=False),
    )
    attempts: int = 0
    next_attempt_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    claimed_by: str | None = Field(default=None, max_length=80)
    claimed_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    last_error: str = Field(default="", max_length=500)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))

    @property
    def idempotency_key(self) -> str:
        """What every send of this row carries, so a receiver can drop a repeat."""
        return f"outbox-{self.id}"
