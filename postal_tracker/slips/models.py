"""The slip archive and the pool of pre-printed tracking codes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, LargeBinary
from sqlmodel import Field, SQLModel

from postal_tracker.db import UTCDateTime, utcnow


class IssuedSlip(SQLModel, table=True):
    """One slip as issued: its PDF bytes, addressed by their SHA-256, and the
    data it was drawn from (to print a marked copy later). The slip's id is the
    one signed into its QR code."""

    __tablename__ = "issued_slip"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20, index=True)  # intake | handover
    tracking_code: str = Field(max_length=13, index=True)  # the item, or the first item
    dossier_id: int | None = Field(default=None, foreign_key="dossier.id", index=True)
    layout: str = Field(max_length=64)
    lang: str = Field(max_length=8)
    copy_of_id: int | None = Field(default=None, foreign_key="issued_slip.id", index=True)
    sha256: str = Field(default="", max_length=64, index=True)
    pdf: bytes = Field(default=b"", sa_column=Column(LargeBinary, nullable=False))
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    issued_by_user_id: int | None = Field(default=None, foreign_key="user.id")
    issued_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class CodeReservation(SQLModel, table=True):
    """A tracking code printed in advance on a label; attached to an item at intake."""

    __tablename__ = "code_reservation"

    id: int | None = Field(default=None, primary_key=True)
    tracking_code: str = Field(max_length=13, unique=True)
    batch: str = Field(max_length=40, index=True)
    reserved_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    used_by_item_id: int | None = Field(default=None, foreign_key="item.id")
    used_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
