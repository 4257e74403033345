"""Creating units and walking the hierarchy."""

from __future__ import annotations

from sqlalchemy.orm import Session
from sqlmodel import col, select

from postal_tracker.units.kinds import UnitKind
from postal_tracker.units.models import Unit


def add_unit(
    session: Session,
    *,
    code: str,
    name: str,
    kind: UnitKind,
    parent: Unit | None = None,
    address: str = "",
) -> Unit:
    unit = Unit(code=code, name=name, kind=kind, parent_id=parent.id if parent else None)
    unit.address = address
    session.add(unit)
    session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    session.flush()
    return unit


def units_under(session: Session, roots: list[Unit]) -> list[Unit]:
    """Every unit at or below any of ``roots``."""
    if not roots:
        return []
    cond = col(Unit.path).startswith(roots[0].path)
    for root in roots[1:]:
        cond = cond | col(Unit.path).startswith(root.path)
    return list(session.scalars(select(Unit).where(cond)))


def agencies(session: Session) -> list[Unit]:
    return list(
        session.scalars(
            select(Unit)
            .where(Unit.kind == UnitKind.AGENCY, col(Unit.active).is_(True))
            .order_by(col(Unit.name))
        )
    )
