"""Manifests ("bảng kê"): bags of items handed over together.

A manifest is built by its giver (open), offered to a receiver (each item gets
its own ``handover_offered`` event), and received once: the receiver's scans
are reconciled against its lines, and every result is kept as a row. Nothing
here is ever deleted (the database refuses it); a line taken out of an open
manifest is marked removed.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from postal_tracker.db import UTCDateTime, enum_type, utcnow


class ManifestStatus(StrEnum):
    OPEN = "open"  # the giver is still adding items
    OFFERED = "offered"  # handed over, waiting for the receiver's scans
    RECEIVED = "received"  # reconciled: confirmed items moved, the rest stayed


class Outcome(StrEnum):
    CONFIRMED = "confirmed"  # listed and scanned: custody moved
    MISSING = "missing"  # listed, not scanned: stays with the giver, incident opened
    EXTRA = "extra"  # scanned, not listed
    CONFLICT = "conflict"  # listed and scanned, but the item moved meanwhile: disputed


class Manifest(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    # Printed on the slip and used in URLs: a random code, no personal data.
    reference: str = Field(max_length=16, unique=True)
    status: ManifestStatus = Field(
        default=ManifestStatus.OPEN,
        sa_column=Column(enum_type(ManifestStatus), nullable=False, index=True),
    )
    giver_user_id: int = Field(foreign_key="user.id", index=True)
    giver_unit_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    receiver_user_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    receiver_unit_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    receiver_is_agency: bool = False
    # Idempotency keys of the three writes a client makes, and what the
    # receipt asked for (a retry with other codes is refused).
    create_client_id: str = Field(max_length=64, unique=True)
    offer_client_id: str | None = Field(default=None, max_length=64, unique=True)
    receipt_client_id: str | None = Field(default=None, max_length=64, unique=True)
    receipt_digest: str | None = Field(default=None, max_length=64)
    note: str = Field(default="", max_length=500)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    offered_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    received_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    received_by_user_id: int | None = Field(default=None, foreign_key="user.id")
    # The handover slip issued when the bag was offered, archived once.
    slip_id: int | None = Field(default=None, foreign_key="issued_slip.id")


class ManifestLine(SQLModel, table=True):
    """An item in a manifest. Removal (only while open) sets ``removed_at``."""

    __tablename__ = "manifest_line"

    id: int | None = Field(default=None, primary_key=True)
    manifest_id: int = Field(foreign_key="manifest.id", index=True)
    item_id: int = Field(foreign_key="item.id", index=True)
    added_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    removed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    offer_event_id: int | None = Field(default=None, foreign_key="custody_event.id")


class ManifestCheck(SQLModel, table=True):
    """One line of a manifest's reconciliation, written once at receipt."""

    __tablename__ = "manifest_check"
    __table_args__ = (UniqueConstraint("manifest_id", "tracking_code"),)

    id: int | None = Field(default=None, primary_key=True)
    manifest_id: int = Field(foreign_key="manifest.id", index=True)
    tracking_code: str = Field(max_length=13)
    item_id: int | None = Field(default=None, foreign_key="item.id", index=True)
    outcome: Outcome = Field(sa_column=Column(enum_type(Outcome), nullable=False))
    # The confirmation, conflict or incident event recorded for it, if any.
    event_id: int | None = Field(default=None, foreign_key="custody_event.id")
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
