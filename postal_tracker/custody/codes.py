"""Handing out S10 tracking codes from a per-prefix counter."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import select

from postal_tracker import s10
from postal_tracker.custody.models import Item, TrackingSerial


def allocate_tracking_code(session: Session, prefix: str, country: str = "VN") -> str:
    """The next unused code for ``prefix``. The counter row is locked until the
    transaction ends, so two intakes never get the same code."""
    counter = session.scalars(
        select(TrackingSerial).where(TrackingSerial.prefix == prefix).with_for_update()
    ).first()
    if counter is None:
        try:
            with session.begin_nested():
                session.add(TrackingSerial(prefix=prefix, next_serial=1))
        except IntegrityError:
            pass  # created meanwhile by another transaction
        counter = session.scalars(
            select(TrackingSerial).where(TrackingSerial.prefix == prefix).with_for_update()
        ).one()
    while True:
        serial = s10.next_issuable(counter.next_serial)
        code = s10.make(prefix, serial, country)
        counter.next_serial = serial + 1
        taken = session.scalars(select(Item.id).where(Item.tracking_code == code)).first()
        if taken is None:
            session.flush()
            return code
