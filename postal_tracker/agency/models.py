"""The agency's records: appointment dates, results, apology slips.

All three are history: rows are never updated or deleted (the database refuses
DELETE). A later appointment (after an apology) is a new row naming the one
it replaces, so the dossier's current appointment is its newest row.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Column, Date
from sqlmodel import Field, SQLModel

from postal_tracker.db import UTCDateTime, enum_type, utcnow


class ResultKind(StrEnum):
    PERMIT = "permit"  # giấy phép
    DECISION = "decision"  # quyết định
    REPLY = "reply"  # văn bản trả lời
    REFUSAL = "refusal"  # từ chối có lý do


class Appointment(SQLModel, table=True):
    """The date the agency promised the result ("ngày hẹn trả kết quả")."""

    id: int | None = Field(default=None, primary_key=True)
    dossier_id: int = Field(foreign_key="dossier.id", index=True)
    agency_id: int = Field(foreign_key="unit.id", index=True)
    due_on: date = Field(sa_column=Column(Date(), nullable=False))
    # How it was set: N working days counted from ``counted_from`` (the day of
    # receipt in Vietnam), or an explicit date (``working_days`` is None).
    counted_from: date = Field(sa_column=Column(Date(), nullable=False))
    working_days: int | None = None
    replaces_id: int | None = Field(default=None, foreign_key="appointment.id")
    set_by_user_id: int = Field(foreign_key="user.id")
    set_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class AgencyResult(SQLModel, table=True):
    """What the agency decided, carried home in the result item."""

    __tablename__ = "agency_result"

    id: int | None = Field(default=None, primary_key=True)
    dossier_id: int = Field(foreign_key="dossier.id", unique=True)
    item_id: int = Field(foreign_key="item.id", unique=True)
    kind: ResultKind = Field(sa_column=Column(enum_type(ResultKind), nullable=False))
    document_number: str = Field(max_length=64)
    signer: str = Field(max_length=200)
    signed_on: date = Field(sa_column=Column(Date(), nullable=False))
    recorded_by_user_id: int = Field(foreign_key="user.id")
    recorded_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class ApologySlip(SQLModel, table=True):
    """A late result's apology and new date ("phiếu xin lỗi và hẹn lại ngày
    trả kết quả"). The PDF is rendered from this row, byte for byte the same
    each time; ``pdf_sha256`` is the hash of the copy issued."""

    __tablename__ = "apology_slip"

    id: int | None = Field(default=None, primary_key=True)
    dossier_id: int = Field(foreign_key="dossier.id", index=True)
    agency_id: int = Field(foreign_key="unit.id", index=True)
    appointment_id: int = Field(foreign_key="appointment.id", unique=True)
    previous_appointment_id: int = Field(foreign_key="appointment.id")
    reason: str = Field(max_length=500)
    issued_by_user_id: int = Field(foreign_key="user.id")
    issued_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    pdf_sha256: str = Field(default="", max_length=64)
