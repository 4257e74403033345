"""What the delivery pages show: a worker's run for a day, one stop."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

from sqlalchemy.orm import Session
from sqlmodel import col, select

from postal_tracker.auth.models import User
from postal_tracker.custody.models import Item
from postal_tracker.delivery.models import Delivery, DeliveryKind, DeliveryStatus
from postal_tracker.intake.models import Dossier
from postal_tracker.phones import national
from postal_tracker.units.models import Unit

SHOWN = (
    DeliveryStatus.SCHEDULED,
    DeliveryStatus.OUT,
    DeliveryStatus.HELD,
    DeliveryStatus.DELIVERED,
    DeliveryStatus.FAILED,
)


@dataclass(frozen=True)
class Stop:
    delivery_id: int
    tracking_code: str
    kind: DeliveryKind
    status: DeliveryStatus
    attempt: int
    name: str
    phone: str
    address: str
    commune: str
    place: str  # the post point, for a pickup
    window_start: time
    window_end: time
    in_hand: bool  # the worker holds the item
    confirmed: bool  # the citizen confirmed the day


def run_stops(session: Session, worker: User, day: date) -> list[Stop]:
    """The worker's deliveries on ``day``, by commune then address: the order
    a run goes in, one commune after another."""
    rows = session.execute(
        select(Delivery, Item, Dossier)
        .join(Item, col(Item.id) == Delivery.item_id)
        .join(Dossier, col(Dossier.id) == Delivery.dossier_id)
        .where(
            Delivery.worker_user_id == worker.id,
            Delivery.scheduled_on == day,
            col(Delivery.status).in_(SHOWN),
        )
    ).all()
    units = {u.id: u for u in session.scalars(select(Unit))}
    stops = [_stop(d, i, dossier, units, worker) for d, i, dossier in rows]
    return sorted(stops, key=lambda s: (s.commune, s.kind, s.address, s.delivery_id))


def _stop(
    d: Delivery, item: Item, dossier: Dossier, units: dict[int | None, Unit], worker: User
) -> Stop:
    assert d.id is not None
    commune = units.get(d.commune_id)
    place = units.get(d.post_point_id) if d.post_point_id else None
    return Stop(
        delivery_id=d.id,
        tracking_code=item.tracking_code,
        kind=d.kind,
        status=d.status,
        attempt=d.attempt,
        name=dossier.sender_name,
        phone=national(dossier.sender_phone),
        address=dossier.delivery_address or dossier.sender_address,
        commune=commune.name if commune else "",
        place=place.name if place else (commune.name if commune else ""),
        window_start=d.window_start,
        window_end=d.window_end,
        in_hand=item.custodian_user_id == worker.id,
        confirmed=d.citizen_confirmed_at is not None,
    )


def stop_of(session: Session, worker: User, delivery_id: int) -> Stop | None:
    row = session.execute(
        select(Delivery, Item, Dossier)
        .join(Item, col(Item.id) == Delivery.item_id)
        .join(Dossier, col(Dossier.id) == Delivery.dossier_id)
        .where(Delivery.id == delivery_id, Delivery.worker_user_id == worker.id)
    ).first()
    if row is None:
        return None
    units = {u.id: u for u in session.scalars(select(Unit))}
    return _stop(row[0], row[1], row[2], units, worker)
