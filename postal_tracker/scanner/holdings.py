"""What a person or an office holds now, and for how long."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy.orm import Session
from sqlmodel import col, select

from postal_tracker.auth.models import User
from postal_tracker.auth.roles import Role
from postal_tracker.auth.service import units_of
from postal_tracker.custody.models import Item
from postal_tracker.units.kinds import AREA_KINDS
from postal_tracker.units.models import Unit
from postal_tracker.units.service import units_under

# Supervisors and administrators look at every office of their region.
REGION_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})


@dataclass(frozen=True)
class Holding:
    item: Item
    held_for: timedelta | None  # None: the item has no custody time (never moved)
    holder: User | None  # the person, when a person holds it


def held_for(since: datetime | None, now: datetime) -> timedelta | None:
    if since is None:
        return None
    return max(now - since, timedelta(0))


def duration_text(delta: timedelta | None) -> str:
    """``3 d 4 h``, ``5 h 12 min``, ``7 min``: precise enough to act on."""
    if delta is None:
        return "—"
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return str(_("%(days)d d %(hours)d h", days=days, hours=hours))
    if hours:
        return str(_("%(hours)d h %(minutes)d min", hours=hours, minutes=mins))
    return str(_("%(minutes)d min", minutes=mins))


def longest_first(items: list[Item], now: datetime, session: Session) -> list[Holding]:
    people = {
        u.id: u
        for u in session.scalars(
            select(User).where(
                col(User.id).in_({i.custodian_user_id for i in items if i.custodian_user_id})
            )
        )
    }
    rows = [
        Holding(
            i,
            held_for(i.custody_since, now),
            people.get(i.custodian_user_id) if i.custodian_user_id else None,
        )
        for i in items
    ]
    return sorted(rows, key=lambda h: h.held_for or timedelta(0), reverse=True)


def offices_of(session: Session, user: User) -> list[Unit]:
    """The offices whose holdings ``user`` may see: their own, or for a
    supervisor every office in their region. Areas hold nothing themselves."""
    own = units_of(session, user)
    units = units_under(session, own) if user.role in REGION_ROLES else own
    return sorted((u for u in units if u.kind not in AREA_KINDS and u.active), key=lambda u: u.name)


def office_holdings(session: Session, unit: Unit) -> tuple[list[Item], list[Item]]:
    """(items held for ``unit`` by its people or by the office, items offered to it)."""
    held = session.scalars(
        select(Item).where(
            Item.custodian_unit_id == unit.id, col(Item.custodian_is_citizen).is_(False)
        )
    ).all()
    offered = session.scalars(
        select(Item).where(Item.offered_to_unit_id == unit.id).order_by(col(Item.id))
    ).all()
    return list(held), list(offered)
