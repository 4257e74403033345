"""Least privilege (docs/design.md rule 9): which dossiers a user may see.

A commune officer sees the dossiers of the units they belong to; a postal
worker the items in their custody or offered to them (and, once routes exist,
on their routes); a post-office clerk what their office holds or is offered; an
agency clerk what is addressed to their agency; a supervisor their region.
Anything else answers 404, exactly like a dossier that does not exist.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Table, false, or_, true
from sqlalchemy.orm import Session
from sqlmodel import SQLModel, col, exists, select

from postal_tracker.auth.models import User
from postal_tracker.auth.roles import Role
from postal_tracker.auth.service import unit_ids_of, units_of
from postal_tracker.custody.models import Item
from postal_tracker.intake.models import Dossier
from postal_tracker.units.service import units_under


def table_of(model: type[SQLModel]) -> Table:
    table: Table = SQLModel.metadata.tables[str(model.__tablename__)]
    return table


_HELD = table_of(Item).alias("held_item")


def _any_item(*conds: ColumnElement[bool]) -> ColumnElement[bool]:
    """Some item of the dossier meets one of ``conds`` (on ``_HELD``'s columns).

    The subquery reads an alias of the item table and correlates only to the
    dossier, so it stays correct inside a query that also joins ``item``."""
    return exists(
        select(_HELD.c.id)
        .where(_HELD.c.dossier_id == table_of(Dossier).c.id, or_(*conds))
        .correlate(table_of(Dossier))
    )


def dossier_filter(session: Session, user: User) -> ColumnElement[bool]:
    """A WHERE clause on :class:`Dossier` selecting what ``user`` may see."""
    if user.role is Role.ADMIN:
        return true()
    unit_ids = unit_ids_of(session, user)
    if user.role is Role.SUPERVISOR:
        unit_ids = [u.id for u in units_under(session, units_of(session, user)) if u.id]
    if not unit_ids and user.role is not Role.POSTAL_WORKER:
        return false()
    if user.role is Role.COMMUNE_OFFICER:
        return col(Dossier.intake_unit_id).in_(unit_ids)
    if user.role is Role.AGENCY_CLERK:
        return col(Dossier.agency_id).in_(unit_ids)
    if user.role is Role.POSTAL_WORKER:
        return or_(
            col(Dossier.intake_user_id) == user.id,
            _any_item(_HELD.c.custodian_user_id == user.id, _HELD.c.offered_to_user_id == user.id),
        )
    if user.role is Role.POST_OFFICE_CLERK:
        return or_(
            col(Dossier.intake_unit_id).in_(unit_ids),
            _any_item(
                _HELD.c.custodian_unit_id.in_(unit_ids),
                _HELD.c.offered_to_unit_id.in_(unit_ids),
            ),
        )
    # Supervisor: anything taken in, addressed to, or held within the region.
    return or_(
        col(Dossier.intake_unit_id).in_(unit_ids),
        col(Dossier.agency_id).in_(unit_ids),
        _any_item(_HELD.c.custodian_unit_id.in_(unit_ids)),
    )


def visible_dossier(session: Session, user: User, dossier_id: int) -> Dossier | None:
    """The dossier if it exists and ``user`` may see it; else None (answer 404)."""
    return session.scalars(
        select(Dossier).where(Dossier.id == dossier_id, dossier_filter(session, user))
    ).first()
