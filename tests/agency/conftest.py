"""Building blocks for agency tests: dossiers offered to an agency, received,
and counts of everything the agency writes (to prove refused input writes nothing)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import func, select

from postal_tracker.agency import service
from postal_tracker.agency.dates import AppointmentRequest
from postal_tracker.agency.models import AgencyResult, ApologySlip, Appointment
from postal_tracker.custody.ledger import record
from postal_tracker.custody.models import CustodyEvent, Item
from postal_tracker.custody.rules import EventKind
from postal_tracker.db import transaction
from postal_tracker.notify.models import OutboxMessage
from tests.custody.helpers import VN, actor, new_item, scan, unit, user

CLERK = "chuyenvien.sct"  # Sở Công Thương
OTHER_CLERK = "chuyenvien.snv"  # Sở Nội vụ


def offered_to_sct(session: Session) -> Item:
    """A dossier for Sở Công Thương, taken in at Tràng Xá and offered to the agency."""
    item = new_item(session)
    record(
        session,
        actor(session, "canbo.trangxa", "MC-TRANGXA"),
        scan(
            item,
            EventKind.HANDOVER_OFFERED,
            receiver_unit_id=unit(session, "SCT").id,
            receiver_is_agency=True,
        ),
    )
    return item


def receive(
    session: Session,
    item: Item,
    *,
    days: int | None = 5,
    due_on: object = None,
    when: datetime | None = None,
    username: str = CLERK,
) -> service.Receipt:
    assert item.id is not None and item.offer_event_id is not None
    return service.receive(
        session,
        user(session, username),
        item.id,
        AppointmentRequest(working_days=days, due_on=due_on),  # type: ignore[arg-type]
        follows=item.offer_event_id,
        client_id=str(uuid.uuid4()),
        device_time=when or datetime.now(VN),
    )


def received_at_sct(session: Session) -> Item:
    item = offered_to_sct(session)
    receive(session, item)
    return item


Counts = dict[str, int]


def counts(session: Session) -> Counts:
    """How many rows each table the agency writes to holds."""
    tables = {
        "appointment": Appointment,
        "agency_result": AgencyResult,
        "apology_slip": ApologySlip,
        "custody_event": CustodyEvent,
        "item": Item,
        "outbox_message": OutboxMessage,
    }
    out = {
        name: session.scalar(select(func.count()).select_from(model)) or 0
        for name, model in tables.items()
    }
    return out


@pytest.fixture
def in_tx(engine: sa.Engine) -> Callable[[], object]:
    """``with in_tx() as session:`` one committed transaction."""
    return lambda: transaction(engine)
