"""Building blocks for delivery tests: a result taken by the post, routes."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time

from sqlalchemy.orm import Session

from postal_tracker.custody.codes import allocate_tracking_code
from postal_tracker.custody.ledger import Scan, record
from postal_tracker.custody.models import Item, ItemKind
from postal_tracker.custody.rules import EventKind
from postal_tracker.delivery.demo_routes import load_demo_routes
from postal_tracker.delivery.models import Delivery
from postal_tracker.intake.models import DeliveryPreference, Dossier
from tests.custody.helpers import VN, actor, new_item, scan, unit, user


def returning_result(
    session: Session,
    *,
    office: str = "MC-TRANGXA",
    intake_user: str = "canbo.trangxa",
    worker: str = "buuta.vonhai",
    pickup: bool = False,
    id_number: str = "",
    collect: bool = True,
) -> Item:
    """A result packet of a fresh dossier, collected from the agency by ``worker``."""
    packet = new_item(session, intake_user, office)
    dossier = session.get(Dossier, packet.dossier_id)
    assert dossier is not None
    dossier.sender_id_number = id_number
    if pickup:
        dossier.delivery_preference = DeliveryPreference.PICKUP
    dossier.delivery_address = "Xóm Cây Thị"
    item = Item(
        tracking_code=allocate_tracking_code(session, "HC"),
        dossier_id=packet.dossier_id,
        kind=ItemKind.RESULT,
    )
    session.add(item)
    session.flush()
    clerk = actor(session, "chuyenvien.sct", "SCT")
    record(
        session,
        clerk,
        Scan(str(uuid.uuid4()), item.tracking_code, EventKind.RESULT_READY, datetime.now(VN)),
    )
    if collect:
        w = user(session, worker)
        record(session, clerk, scan(item, EventKind.HANDOVER_OFFERED, receiver_user_id=w.id))
        record(
            session,
            actor(session, worker),
            scan(item, EventKind.RESULT_COLLECTED, follows=item.head_event_id),
        )
    session.flush()
    return item


__all__ = ["load_demo_routes", "put_on_run", "returning_result", "unit", "user"]


def put_on_run(session: Session, item: Item, worker: str, day: date) -> Delivery:
    """A home delivery of ``item`` on ``worker``'s run on ``day``, whatever the
    calendar says (the planner has its own tests; pages need today)."""
    from postal_tracker.delivery.models import DeliveryKind, DeliveryStatus
    from postal_tracker.delivery.scheduling import CommuneMap

    dossier = session.get(Dossier, item.dossier_id)
    assert dossier is not None and item.id is not None
    commune = CommuneMap(session).commune_of(dossier.intake_unit_id)
    assert commune is not None
    delivery = Delivery(
        item_id=item.id,
        dossier_id=item.dossier_id,
        kind=DeliveryKind.PICKUP
        if dossier.delivery_preference is DeliveryPreference.PICKUP
        else DeliveryKind.HOME,
        status=DeliveryStatus.SCHEDULED,
        worker_user_id=user(session, worker).id,
        commune_id=commune,
        post_point_id=unit(session, "MC-TRANGXA").id,
        scheduled_on=day,
        window_start=time(8),
        window_end=time(11, 30),
    )
    session.add(delivery)
    session.flush()
    return delivery
