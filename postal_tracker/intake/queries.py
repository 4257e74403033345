"""Reading dossiers: the list with search, and one dossier with its timeline."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import ColumnElement, or_
from sqlalchemy.orm import Session
from sqlmodel import col, select

from postal_tracker import s10
from postal_tracker.auth.models import User
from postal_tracker.custody.models import CustodyEvent, Item
from postal_tracker.intake.models import Dossier, DossierDocument
from postal_tracker.intake.scope import dossier_filter
from postal_tracker.intake.search_text import fold, folded
from postal_tracker.phones import InvalidPhone, parse_vn_phone
from postal_tracker.units.models import Unit

PAGE_SIZE = 50
_T = TypeVar("_T", User, Unit)


@dataclass(frozen=True)
class DossierRow:
    dossier: Dossier
    item: Item | None


def search_dossiers(session: Session, user: User, query: str = "") -> list[DossierRow]:
    """Dossiers in ``user``'s scope, newest first, matching a tracking code (or
    its beginning), a sender's name (ignoring case and accents) or phone number
    (in any common way of writing it) when ``query`` is given."""
    stmt = (
        select(Dossier, Item)
        .join(Item, col(Item.dossier_id) == Dossier.id, isouter=True)
        .where(dossier_filter(session, user))
        .order_by(col(Dossier.created_at).desc(), col(Dossier.id).desc())
        .limit(PAGE_SIZE)
    )
    query = query.strip()
    if query:
        stmt = stmt.where(or_(*_matches(query)))
    return [DossierRow(d, i) for d, i in session.execute(stmt).all()]


def _matches(query: str) -> list[ColumnElement[bool]]:
    name = fold(query)
    conds: list[ColumnElement[bool]] = [
        folded(Dossier.sender_name).like(f"%{_escape_like(name)}%", escape="\\")
    ]
    code = s10.normalise(query)
    if len(code) >= 4 and code[:2].isalpha() and code.isascii():
        conds.append(col(Item.tracking_code).startswith(code, autoescape=True))
    with contextlib.suppress(InvalidPhone):
        conds.append(col(Dossier.sender_phone) == parse_vn_phone(query))
    return conds


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass(frozen=True)
class TimelineEntry:
    event: CustodyEvent
    item: Item
    actor: User | None
    actor_unit: Unit | None
    counterpart: User | None
    counterpart_unit: Unit | None


def documents_of(session: Session, dossier: Dossier) -> list[DossierDocument]:
    return list(
        session.scalars(
            select(DossierDocument)
            .where(DossierDocument.dossier_id == dossier.id)
            .order_by(col(DossierDocument.position))
        )
    )


def items_of(session: Session, dossier: Dossier) -> list[Item]:
    return list(
        session.scalars(select(Item).where(Item.dossier_id == dossier.id).order_by(col(Item.id)))
    )


def timeline(session: Session, dossier: Dossier) -> list[TimelineEntry]:
    rows = session.execute(
        select(CustodyEvent, Item)
        .join(Item, col(Item.id) == CustodyEvent.item_id)
        .where(Item.dossier_id == dossier.id)
        .order_by(col(CustodyEvent.server_time), col(CustodyEvent.id))
    ).all()
    users = _by_id(
        session, User, {e.actor_user_id for e, _ in rows} | {e.counterpart_user_id for e, _ in rows}
    )
    units = _by_id(
        session, Unit, {e.actor_unit_id for e, _ in rows} | {e.counterpart_unit_id for e, _ in rows}
    )
    return [
        TimelineEntry(
            event=e,
            item=i,
            actor=users.get(e.actor_user_id),
            actor_unit=units.get(e.actor_unit_id),
            counterpart=users.get(e.counterpart_user_id),
            counterpart_unit=units.get(e.counterpart_unit_id),
        )
        for e, i in rows
    ]


def _by_id(session: Session, model: type[_T], ids: set[int | None]) -> dict[int | None, _T]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    return {row.id: row for row in session.scalars(select(model).where(col(model.id).in_(wanted)))}
