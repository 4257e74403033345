from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from postal_tracker.db import UTCDateTime, enum_type, utcnow

# The unique index on (intake unit, seal number).
SEAL_PER_UNIT = "uq_dossier_intake_unit_seal"


class DeliveryPreference(StrEnum):
    HOME = "home"
    PICKUP = "pickup"


class Dossier(SQLModel, table=True):
    """One application for one administrative procedure, as taken in.

    Rows are never deleted; ``cancelled_at`` marks one withdrawn. A seal
    number is used once per intake unit: the index decides between two saves.
    """

    __table_args__ = (Index(SEAL_PER_UNIT, "intake_unit_id", "seal_number", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    # Sender
    sender_name: str = Field(max_length=200, index=True)
    sender_phone: str = Field(max_length=20, index=True)  # E.164, e.g. +84912345678
    sender_address: str = Field(max_length=400)
    sender_id_number: str = Field(default="", max_length=20)
    sender_email: str = Field(default="", max_length=254)  # optional, for notices
    authorised: bool = False  # acting under someone's authorisation
    principal_name: str = Field(default="", max_length=200)
    # Procedure
    procedure_code: str = Field(max_length=64)
    procedure_name: str = Field(max_length=300)
    procedure_field: str = Field(default="", max_length=200)
    agency_id: int = Field(foreign_key="unit.id", index=True)
    # Money, in đồng
    fee_vnd: int = 0
    postage_vnd: int = 0
    seal_number: str = Field(max_length=32)
    delivery_preference: DeliveryPreference = Field(
        sa_column=Column(enum_type(DeliveryPreference), nullable=False)
    )
    delivery_address: str = Field(default="", max_length=400)
    note: str = Field(default="", max_length=1000)
    # Who took it in, where
    intake_unit_id: int = Field(foreign_key="unit.id", index=True)
    intake_user_id: int = Field(foreign_key="user.id", index=True)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    cancelled_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class DossierDocument(SQLModel, table=True):
    """One line of a dossier's document inventory."""

    __tablename__ = "dossier_document"
    __table_args__ = (UniqueConstraint("dossier_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    dossier_id: int = Field(foreign_key="dossier.id", index=True)
    position: int
    name: str = Field(max_length=300)
    originals: int = 0
    certified_copies: int = 0
    photocopies: int = 0
    pages: int = 1
