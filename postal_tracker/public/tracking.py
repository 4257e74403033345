"""What a citizen sees of their dossier: given the tracking code (of the
dossier or of its result) and the last four digits of their phone, the
journey in plain words. Anything else (an unknown code, wrong digits, a
malformed code) is ``None``, one answer for all, so the page tells nobody
which codes exist."""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy.orm import Session
from sqlmodel import col, select

from postal_tracker import s10
from postal_tracker.agency.queries import current_appointment
from postal_tracker.custody.models import CustodyEvent, Item, ItemKind
from postal_tracker.custody.rules import EventKind, Phase
from postal_tracker.delivery.scheduling import open_delivery
from postal_tracker.intake.models import Dossier
from postal_tracker.masking import mask_name
from postal_tracker.units.models import Unit

DIGITS = re.compile(r"\d{4}")
# Steps of the staff's own bookkeeping, not of the journey: not shown.
HIDDEN = frozenset({EventKind.HANDOVER_OFFERED, EventKind.CONFLICT, EventKind.CORRECTED})


@dataclass(frozen=True)
class Step:
    when: datetime
    kind: str
    place: str  # an office's name, never a person's


@dataclass(frozen=True)
class NextDelivery:
    day: date
    window_start: time
    window_end: time
    pickup: bool


@dataclass(frozen=True)
class PublicTimeline:
    tracking_code: str
    masked_name: str
    procedure_name: str
    phase: Phase
    appointment: date | None
    next_delivery: NextDelivery | None
    steps: list[Step]


def lookup(session: Session, code_text: str, phone_digits: str) -> PublicTimeline | None:
    digits = phone_digits.strip()
    try:
        code = s10.validate(code_text)
    except s10.InvalidTrackingCode:
        code = None
    item = session.scalars(select(Item).where(Item.tracking_code == code)).first() if code else None
    dossier = session.get(Dossier, item.dossier_id) if item else None
    # Compare even when there is nothing to compare with, in constant time,
    # so neither the answer nor its timing tells a known code from an unknown.
    expected = dossier.sender_phone[-4:] if dossier else "----"
    matches = hmac.compare_digest(expected.encode(), digits.encode())
    if item is None or dossier is None or not DIGITS.fullmatch(digits) or not matches:
        return None
    return _timeline(session, dossier, item)


def _timeline(session: Session, dossier: Dossier, asked: Item) -> PublicTimeline:
    items = list(
        session.scalars(select(Item).where(Item.dossier_id == dossier.id).order_by(col(Item.id)))
    )
    events = list(
        session.scalars(
            select(CustodyEvent)
            .where(col(CustodyEvent.item_id).in_([i.id for i in items]))
            .order_by(col(CustodyEvent.server_time), col(CustodyEvent.id))
        )
    )
    names: dict[int | None, str] = dict(session.execute(select(Unit.id, Unit.name)).all())
    steps = [
        Step(e.device_time, str(e.kind), names.get(e.actor_unit_id or 0, ""))
        for e in events
        if e.kind not in HIDDEN
    ]
    # The furthest item tells where the dossier stands: the result once there is one.
    current = next((i for i in reversed(items) if i.kind is ItemKind.RESULT), items[0])
    appointment = current_appointment(session, dossier.id or 0)
    delivery = open_delivery(session, current.id or 0) if current.id else None
    return PublicTimeline(
        tracking_code=asked.tracking_code,
        masked_name=mask_name(dossier.sender_name),
        procedure_name=dossier.procedure_name,
        phase=current.phase,
        appointment=appointment.due_on if appointment else None,
        next_delivery=NextDelivery(
            delivery.scheduled_on,
            delivery.window_start,
            delivery.window_end,
            str(delivery.kind) == "pickup",
        )
        if delivery
        else None,
        steps=steps,
    )
