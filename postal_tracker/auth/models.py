from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from postal_tracker.auth.roles import Role
from postal_tracker.db import UTCDateTime, enum_type, utcnow


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    full_name: str = Field(max_length=200)
    role: Role = Field(sa_column=Column(enum_type(Role), nullable=False))
    password_hash: str = Field(max_length=255)
    email: str = Field(default="", max_length=254)
    active: bool = True
    locale: str = Field(default="vi", max_length=8)
    # Login throttling per account: failures counted within a window.
    failed_logins: int = 0
    first_failure_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )

    # Flask-Login protocol.
    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)


class Membership(SQLModel, table=True):
    """A user belongs to (acts for) a unit."""

    __table_args__ = (UniqueConstraint("user_id", "unit_id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
