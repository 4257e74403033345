"""What the watch keeps besides the alerts themselves: why each was resolved."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from postal_tracker.db import UTCDateTime, utcnow


class AlertResolution(SQLModel, table=True):
    """Why an alert was closed: a supervisor's note, or the watchdog seeing the
    condition clear (``resolved_by_user_id`` None). History: never deleted."""

    __tablename__ = "alert_resolution"

    id: int | None = Field(default=None, primary_key=True)
    alert_id: int = Field(foreign_key="alert.id", unique=True)
    resolved_by_user_id: int | None = Field(default=None, foreign_key="user.id")
    note: str = Field(max_length=1000)
    # The custody event by which the alert's cause went away (closed by the
    # watchdog); None when a supervisor closed it by hand.
    closed_by_event_id: int | None = Field(default=None, foreign_key="custody_event.id")
    resolved_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
