from __future__ import annotations

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from postal_tracker.db import enum_type
from postal_tracker.units.kinds import UnitKind


class Unit(SQLModel, table=True):
    """An area (province, district, commune) or an office within one.

    ``path`` lists the ids from the root down (``/1/4/9/``) so that "every unit
    in a supervisor's region" is one prefix match.
    """

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=200)
    kind: UnitKind = Field(sa_column=Column(enum_type(UnitKind), nullable=False))
    parent_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    path: str = Field(default="", max_length=400, index=True)
    address: str = Field(default="", max_length=400)
    active: bool = True
