"""Delivery tables: who serves which commune when, each worker's daily
capacity, and each scheduled attempt with its outcome.

Nothing is hard-deleted (the database refuses DELETE): a route is switched
off with ``active``, a delivery the citizen moved is ``cancelled`` and a new
row takes its place, so the attempts of an item read as its history.
"""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum

from sqlalchemy import Column, Date, Index, Time, UniqueConstraint
from sqlmodel import Field, SQLModel

from postal_tracker.db import UTCDateTime, enum_type, utcnow


class DeliveryKind(StrEnum):
    HOME = "home"  # to the citizen's address
    PICKUP = "pickup"  # left at the commune's post point for the citizen to collect


class DeliveryStatus(StrEnum):
    SCHEDULED = "scheduled"
    OUT = "out"  # on the worker's run today
    DELIVERED = "delivered"
    FAILED = "failed"
    HELD = "held"  # waiting at the post point for the citizen
    RETURNED = "returned"  # back to the agency after the holding period
    CANCELLED = "cancelled"  # replaced by another row (citizen moved it)


# A result with one of these is spoken for: the scheduler leaves it alone.
OPEN_STATUSES = (DeliveryStatus.SCHEDULED, DeliveryStatus.OUT, DeliveryStatus.HELD)


class FailureReason(StrEnum):
    NOT_HOME = "not_home"
    WRONG_ADDRESS = "wrong_address"
    REFUSED = "refused"
    MOVED = "moved"
    UNREACHABLE = "unreachable"  # road closed, flood, phone not answered
    OTHER = "other"


class FailureAction(StrEnum):
    NOTICE_LEFT = "notice_left"  # a card left at the door
    CALLED = "called"  # phoned the citizen
    NEIGHBOUR_TOLD = "neighbour_told"
    RETURN_TO_POST_POINT = "return_to_post_point"


class Relation(StrEnum):
    SELF = "self"
    FAMILY = "family"
    AUTHORISED = "authorised"  # with an authorisation letter


class DeliveryWorker(SQLModel, table=True):
    """A postal worker's daily capacity: deliveries per route day, all communes."""

    __tablename__ = "delivery_worker"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", unique=True)
    daily_capacity: int = 30


class DeliveryRoute(SQLModel, table=True):
    """One postal worker serving one commune on some weekdays, in a window."""

    __tablename__ = "delivery_route"
    __table_args__ = (UniqueConstraint("worker_user_id", "commune_id"),)

    id: int | None = Field(default=None, primary_key=True)
    worker_user_id: int = Field(foreign_key="user.id", index=True)
    commune_id: int = Field(foreign_key="unit.id", index=True)
    # Weekdays as digits, Monday = 0: "024" is Monday, Wednesday, Friday.
    weekdays: str = Field(max_length=7)
    window_start: time = Field(sa_column=Column(Time(), nullable=False))
    window_end: time = Field(sa_column=Column(Time(), nullable=False))
    # Where results are held for pickup in this commune.
    post_point_id: int | None = Field(default=None, foreign_key="unit.id")
    active: bool = True
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class Delivery(SQLModel, table=True):
    """One attempt to hand a result to the citizen (or to hold it for pickup)."""

    __table_args__ = (Index("ix_delivery_worker_day", "worker_user_id", "scheduled_on"),)

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id", index=True)
    dossier_id: int = Field(foreign_key="dossier.id", index=True)
    attempt: int = 1  # home attempts so far, this one included
    kind: DeliveryKind = Field(sa_column=Column(enum_type(DeliveryKind), nullable=False))
    status: DeliveryStatus = Field(
        sa_column=Column(enum_type(DeliveryStatus), nullable=False, index=True)
    )
    route_id: int | None = Field(default=None, foreign_key="delivery_route.id")
    worker_user_id: int | None = Field(default=None, foreign_key="user.id")
    commune_id: int = Field(foreign_key="unit.id")
    post_point_id: int | None = Field(default=None, foreign_key="unit.id")
    scheduled_on: date = Field(sa_column=Column(Date(), nullable=False))
    window_start: time = Field(sa_column=Column(Time(), nullable=False))
    window_end: time = Field(sa_column=Column(Time(), nullable=False))
    hold_until: date | None = Field(default=None, sa_column=Column(Date()))
    citizen_confirmed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    replaces_id: int | None = Field(default=None, foreign_key="delivery.id")
    # Outcome of a failed attempt.
    failure_reason: FailureReason | None = Field(
        default=None, sa_column=Column(enum_type(FailureReason))
    )
    failure_action: FailureAction | None = Field(
        default=None, sa_column=Column(enum_type(FailureAction))
    )
    failure_note: str = Field(default="", max_length=500)
    # Proof of delivery; the images are files named by these hashes.
    recipient_name: str = Field(default="", max_length=200)
    relation: Relation | None = Field(default=None, sa_column=Column(enum_type(Relation)))
    authorisation_ref: str = Field(default="", max_length=100)
    id_checked: bool = False
    signature_sha256: str = Field(default="", max_length=64)
    photo_sha256: str = Field(default="", max_length=64)
    originals_returned: bool = False
    originals_note: str = Field(default="", max_length=500)
    outcome_event_id: int | None = Field(default=None, foreign_key="custody_event.id")
    return_offer_event_id: int | None = Field(default=None, foreign_key="custody_event.id")
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    closed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
