from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from postal_tracker.custody.rules import EventKind, Phase
from postal_tracker.db import UTCDateTime, enum_type, utcnow


class ItemKind(StrEnum):
    DOSSIER = "dossier"  # the dossier packet going to the agency
    RESULT = "result"  # the result packet coming back


class Item(SQLModel, table=True):
    """A tracked envelope. Its custody columns are a projection of its events,
    updated in the same transaction as each event, and checked by ``verify``."""

    id: int | None = Field(default=None, primary_key=True)
    tracking_code: str = Field(max_length=13, unique=True)
    dossier_id: int = Field(foreign_key="dossier.id", index=True)
    kind: ItemKind = Field(sa_column=Column(enum_type(ItemKind), nullable=False))
    phase: Phase = Field(
        default=Phase.NEW, sa_column=Column(enum_type(Phase), nullable=False, index=True)
    )
    custodian_user_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    custodian_unit_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    custodian_is_citizen: bool = False
    offer_event_id: int | None = None
    offered_to_user_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    offered_to_unit_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    offered_to_agency: bool = False
    disputed: bool = False
    head_event_id: int | None = None
    head_hash: str = Field(default="", max_length=64)
    event_count: int = 0
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    # When custody last changed hands (watchdogs measure how long it stood still).
    custody_since: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class CustodyEvent(SQLModel, table=True):
    """One fact in an item's history. Append-only: the database refuses UPDATE,
    DELETE and TRUNCATE on this table. Each row carries the hash of the previous
    event of the same item, and its own hash over its content."""

    __tablename__ = "custody_event"
    __table_args__ = (UniqueConstraint("item_id", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    # Looked up through the unique (item_id, seq) index.
    item_id: int = Field(foreign_key="item.id")
    seq: int  # 1, 2, 3, ... within the item
    client_id: str = Field(max_length=64, unique=True)
    kind: EventKind = Field(sa_column=Column(enum_type(EventKind), nullable=False))
    actor_user_id: int | None = Field(default=None, foreign_key="user.id")
    actor_unit_id: int | None = Field(default=None, foreign_key="unit.id")
    counterpart_user_id: int | None = Field(default=None, foreign_key="user.id")
    counterpart_unit_id: int | None = Field(default=None, foreign_key="unit.id")
    follows_event_id: int | None = None
    corrects_event_id: int | None = None
    # Two clocks: when it happened on the device (UTC instant and the device's
    # UTC offset), and when the server recorded it.
    device_time: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    device_utc_offset_min: int = 0
    server_time: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # Idempotency: the digest of the request that created it, and the answer given.
    request_digest: str = Field(max_length=64)
    answer: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class TrackingSerial(SQLModel, table=True):
    """The next serial to hand out for an S10 service prefix."""

    __tablename__ = "tracking_serial"

    prefix: str = Field(primary_key=True, max_length=2)
    next_serial: int = 1


class Alert(SQLModel, table=True):
    """Something a supervisor must look at (a conflict, a watchdog finding),
    visible until resolved."""

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40, index=True)
    unit_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    item_id: int | None = Field(default=None, foreign_key="item.id", index=True)
    event_id: int | None = Field(default=None, foreign_key="custody_event.id")
    message: str = Field(max_length=1000)
    # The text as a message id and its parameters, translated when shown;
    # None on alerts raised before they were kept (shown by ``message``).
    message_id: str | None = Field(default=None, max_length=300)
    params: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    resolved_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    resolved_by_user_id: int | None = Field(default=None, foreign_key="user.id")
    # Names the finding a watchdog raised (unique), so one finding is one alert
    # however often the watchdog runs; None for alerts raised by events.
    finding_key: str | None = Field(default=None, max_length=200, unique=True, index=True)
