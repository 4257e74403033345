"""Pre-printed tracking labels: codes reserved in batches (as real one-stop
systems do), printed on label sheets, and attached to a dossier at intake."""

from __future__ import annotations

from sqlalchemy.orm import Session
from sqlmodel import col, select

from postal_tracker import s10
from postal_tracker.custody.codes import allocate_tracking_code
from postal_tracker.custody.models import Item
from postal_tracker.db import utcnow
from postal_tracker.slips.models import CodeReservation


def reserve_codes(
    session: Session, count: int, *, prefix: str, country: str = "VN", batch: str
) -> list[str]:
    """Reserve ``count`` new codes under ``batch``; they are never issued again."""
    if not 1 <= count <= 100_000:
        raise ValueError("count must be between 1 and 100,000")
    codes = [allocate_tracking_code(session, prefix, country) for _ in range(count)]
    session.add_all(CodeReservation(tracking_code=c, batch=batch) for c in codes)
    session.flush()
    return codes


def claim_reserved_code(session: Session, text: str) -> str | None:
    """The code if ``text`` is a reserved, unused label (locked until commit)."""
    try:
        code = s10.validate(text)
    except s10.InvalidTrackingCode:
        return None
    row = session.scalars(
        select(CodeReservation)
        .where(CodeReservation.tracking_code == code, col(CodeReservation.used_at).is_(None))
        .with_for_update()
    ).first()
    if row is None:
        return None
    taken = session.scalars(select(Item.id).where(Item.tracking_code == code)).first()
    return None if taken is not None else code


def mark_code_used(session: Session, code: str, item: Item) -> None:
    row = session.scalars(
        select(CodeReservation).where(CodeReservation.tracking_code == code)
    ).one()
    row.used_by_item_id = item.id
    row.used_at = utcnow()
    session.flush()
