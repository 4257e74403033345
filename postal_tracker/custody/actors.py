"""The person as the custody rules see them: their role and units, and the
unit they act for in one event."""

from __future__ import annotations

from sqlalchemy.orm import Session

from postal_tracker.auth.models import User
from postal_tracker.auth.roles import Role
from postal_tracker.auth.service import unit_ids_of
from postal_tracker.custody.rules import Actor


def actor_for(session: Session, user: User, acting_unit_id: int | None = None) -> Actor:
    """The user as the custody rules see them, acting for ``acting_unit_id``
    (one of their units) or their first unit."""
    assert user.id is not None
    return actor_of(user.id, user.role, unit_ids_of(session, user), acting_unit_id)


def actor_of(
    user_id: int, role: Role, unit_ids: list[int], acting_unit_id: int | None = None
) -> Actor:
    """:func:`actor_for` with the user's unit ids (in membership order) at hand."""
    if acting_unit_id is None or acting_unit_id not in unit_ids:
        acting_unit_id = unit_ids[0] if unit_ids else None
    return Actor(user_id=user_id, role=role, unit_ids=frozenset(unit_ids), unit_id=acting_unit_id)
