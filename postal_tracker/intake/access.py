"""Which items a person may see and scan, and what they hold (docs/design.md
rule 9): the dossier scope of ``intake/scope.py``, and besides it whatever
someone (or their office) holds or is offered."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace

from sqlalchemy import or_
from sqlalchemy.orm import Session
from sqlmodel import col, select

from postal_tracker.auth.models import User
from postal_tracker.auth.service import unit_ids_of
from postal_tracker.custody.errors import ItemNotFound
from postal_tracker.custody.ledger import Scan, offer_receiver
from postal_tracker.custody.models import Item
from postal_tracker.custody.rules import Actor
from postal_tracker.errors import N_
from postal_tracker.intake.scope import visible_dossier


def item_by_code(session: Session, user: User, code: str) -> Item | None:
    """The item if it exists and ``user`` may see it; None answers 404 either way.

    Besides the dossier scope, anyone may see what they (or their office)
    hold or are offered: the receiver of a handover must be able to confirm it.
    """
    item = session.scalars(select(Item).where(Item.tracking_code == code)).first()
    if item is None or not may_see(session, user, item):
        return None
    return item


def may_see(
    session: Session, user: User, item: Item, unit_ids: Collection[int] | None = None
) -> bool:
    """Whether ``user`` (belonging to ``unit_ids``, looked up if not given) may
    see ``item``. The cheap checks on the item itself come first."""
    assert user.id is not None
    units = unit_ids_of(session, user) if unit_ids is None else unit_ids
    if holds_or_is_offered(user.id, units, item):
        return True
    return visible_dossier(session, user, item.dossier_id) is not None


def holds_or_is_offered(user_id: int, unit_ids: Collection[int], item: Item) -> bool:
    """Whether the person or one of their units holds ``item`` or is offered it
    (the part of :func:`may_see` that needs no query)."""
    if user_id in (item.custodian_user_id, item.offered_to_user_id):
        return True
    return bool({item.custodian_unit_id, item.offered_to_unit_id} & set(unit_ids))


def holdings(session: Session, user: User) -> tuple[list[Item], list[Item]]:
    """(items ``user`` holds, items offered to ``user`` or their offices),
    the longest-held first."""
    units = unit_ids_of(session, user)
    held = session.scalars(
        select(Item)
        .where(
            or_(
                col(Item.custodian_user_id) == user.id,
                (col(Item.custodian_user_id).is_(None)) & col(Item.custodian_unit_id).in_(units),
            )
        )
        .order_by(col(Item.custody_since))
    ).all()
    offered = session.scalars(
        select(Item)
        .where(
            or_(
                col(Item.offered_to_user_id) == user.id,
                col(Item.offered_to_user_id).is_(None) & col(Item.offered_to_unit_id).in_(units),
            )
        )
        .order_by(col(Item.id))
    ).all()
    return list(held), list(offered)


def offered_to(session: Session, item: Item, follows: int | None, actor: Actor) -> bool:
    """Whether the event ``follows`` offered ``item`` to ``actor``: a receiver
    whose offer was since replaced still reaches the ledger, which records the
    stale confirmation as a conflict rather than answering "not found"."""
    receiver = offer_receiver(session, item, follows)
    return receiver is not None and receiver.includes(actor)


NOT_IN_SCOPE = N_("No item with this tracking code in your area of work.")


def scanner_in_scope(session: Session, item: Item, actor: Actor, scan: Scan) -> Actor:
    """The actor a device's ``scan`` of the locked ``item`` is recorded as (for
    the office the item was offered to, when confirming a handover), or
    :class:`ItemNotFound` if the item is outside ``actor``'s area of work (the
    ledger's ``authorize``)."""
    if not holds_or_is_offered(actor.user_id, actor.unit_ids, item):
        # The rarer ways into scope need the user (and queries).
        user = session.get(User, actor.user_id)
        assert user is not None
        if not may_see(session, user, item, actor.unit_ids) and not offered_to(
            session, item, scan.follows, actor
        ):
            raise ItemNotFound(NOT_IN_SCOPE)
    if item.offered_to_unit_id in actor.unit_ids:
        return replace(actor, unit_id=item.offered_to_unit_id)
    return actor
