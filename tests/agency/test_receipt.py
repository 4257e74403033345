"""Receipt at the agency: custody moves to the clerk, the appointment is recorded."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import select

from postal_tracker.agency import service
from postal_tracker.agency.dates import AppointmentRequest
from postal_tracker.agency.models import Appointment
from postal_tracker.custody.errors import LedgerError
from postal_tracker.custody.ledger import record
from postal_tracker.custody.models import CustodyEvent, Item
from postal_tracker.custody.rules import EventKind, Phase
from postal_tracker.db import transaction
from postal_tracker.errors import DomainError, NotFound
from postal_tracker.workdays import add_working_days
from tests.agency.conftest import CLERK, OTHER_CLERK, counts, offered_to_sct, receive
from tests.custody.helpers import VN, actor, scan, unit, user


def test_receipt_moves_custody_and_records_the_appointment(engine: sa.Engine) -> None:
    with transaction(engine) as s:
        item = offered_to_sct(s)
        offer_id = item.offer_event_id
        now = datetime.now(VN)
        receipt = receive(s, item, days=5, when=now)
    with transaction(engine) as s:
        stored = s.get(Item, item.id)
        assert stored is not None
        item = stored
        clerk, sct = user(s, CLERK), unit(s, "SCT")
        assert item.phase is Phase.AT_AGENCY
        assert (item.custodian_user_id, item.custodian_unit_id) == (clerk.id, sct.id)
        assert item.offer_event_id is None
        event = s.get(CustodyEvent, item.head_event_id)
        assert event is not None and event.kind is EventKind.DELIVERED_TO_AGENCY
        assert event.follows_event_id == offer_id
        rows = s.scalars(select(Appointment).where(Appointment.dossier_id == item.dossier_id)).all()
        assert len(rows) == 1
        (row,) = rows
        assert receipt.appointment is not None and row.id == receipt.appointment.id
        assert row.due_on == add_working_days(now.date(), 5)
        assert (row.counted_from, row.working_days) == (now.date(), 5)
        assert (row.set_by_user_id, row.agency_id, row.replaces_id) == (clerk.id, sct.id, None)


def test_appointment_counted_across_tet_from_the_day_of_receipt(engine: sa.Engine) -> None:
    # Received Wed 11 Feb 2026; Tết holidays Mon 16 to Fri 20 Feb: Thu 12,
    # Fri 13, Mon 23, Tue 24, Wed 25.
    with transaction(engine) as s:
        item = offered_to_sct(s)
        receipt = receive(s, item, days=5, when=datetime(2026, 2, 11, 16, 30, tzinfo=VN))
        assert receipt.appointment is not None
        assert receipt.appointment.due_on == date(2026, 2, 25)
        assert receipt.appointment.counted_from == date(2026, 2, 11)


def test_receipt_late_at_night_counts_from_the_vietnamese_date(engine: sa.Engine) -> None:
    # 23:30 in Hà Nội is 16:30 UTC the same day; 00:30 is still the day before in UTC.
    with transaction(engine) as s:
        item = offered_to_sct(s)
        when = datetime(2026, 11, 24, 0, 30, tzinfo=VN)  # Tuesday in Vietnam, Monday in UTC
        receipt = receive(s, item, days=1, when=when)
        assert receipt.appointment is not None
        assert receipt.appointment.counted_from == date(2026, 11, 24)
        assert receipt.appointment.due_on == date(2026, 11, 25)


def test_an_explicit_appointment_date_is_kept(engine: sa.Engine) -> None:
    with transaction(engine) as s:
        item = offered_to_sct(s)
        day = add_working_days(datetime.now(VN).date(), 7)
        receipt = receive(s, item, days=None, due_on=day)
        assert receipt.appointment is not None
        assert (receipt.appointment.due_on, receipt.appointment.working_days) == (day, None)


def _next_saturday() -> date:
    today = datetime.now(VN).date()
    return today + timedelta(days=(5 - today.weekday()) % 7 or 7)


@pytest.mark.parametrize(
    ("days", "due_on", "field", "code"),
    [
        (None, "saturday", "due_on", "not_working_day"),
        (None, "yesterday", "due_on", "not_future"),
        (None, "today", "due_on", "not_future"),
        (None, None, "working_days", "missing"),
        (0, None, "working_days", "range"),
        (251, None, "working_days", "range"),
    ],
)
def test_bad_appointments_write_nothing(
    engine: sa.Engine, days: int | None, due_on: str | None, field: str, code: str
) -> None:
    today = datetime.now(VN).date()
    day = {
        "saturday": _next_saturday(),
        "yesterday": today - timedelta(days=1),
        "today": today,
        None: None,
    }[due_on]
    with transaction(engine) as s:
        item = offered_to_sct(s)
    with transaction(engine) as s:
        before = counts(s)
        with pytest.raises(DomainError) as refused:
            receive(s, s.get(Item, item.id) or item, days=days, due_on=day)
        assert (refused.value.field, refused.value.code) == (field, code)
        assert counts(s) == before
        assert (s.get(Item, item.id) or item).phase is Phase.ACCEPTED


def test_another_agencys_clerk_cannot_receive(engine: sa.Engine) -> None:
    with transaction(engine) as s:
        item = offered_to_sct(s)
        before = counts(s)
        with pytest.raises(NotFound):
            receive(s, item, username=OTHER_CLERK)
        with pytest.raises(NotFound):
            receive(s, item, username="canbo.trangxa")
        assert counts(s) == before


def test_an_item_not_offered_to_the_agency_is_not_found(engine: sa.Engine) -> None:
    from tests.custody.helpers import new_item

    with transaction(engine) as s:
        item = new_item(s)
        assert item.id is not None
        with pytest.raises(NotFound):
            service.receive(
                s,
                user(s, CLERK),
                item.id,
                AppointmentRequest(working_days=5),
                follows=item.head_event_id or 0,
                client_id=str(uuid.uuid4()),
                device_time=datetime.now(VN),
            )


def test_a_stale_receipt_is_kept_as_a_conflict_without_an_appointment(engine: sa.Engine) -> None:
    """The giver re-offered the dossier (to the same agency) after the clerk's
    page was loaded: the receipt names the old offer, so it is a conflict."""
    with transaction(engine) as s:
        item = offered_to_sct(s)
        old_offer = item.offer_event_id
        # (after another scan: an offer again, right after the same offer, is
        # that offer, rules.repeat_of)
        record(s, actor(s, "canbo.trangxa", "MC-TRANGXA"), scan(item, EventKind.DEPARTED))
        record(
            s,
            actor(s, "canbo.trangxa", "MC-TRANGXA"),
            scan(
                item,
                EventKind.HANDOVER_OFFERED,
                receiver_unit_id=unit(s, "SCT").id,
                receiver_is_agency=True,
            ),
        )
        assert item.id is not None and old_offer is not None
        receipt = service.receive(
            s,
            user(s, CLERK),
            item.id,
            AppointmentRequest(working_days=5),
            follows=old_offer,
            client_id=str(uuid.uuid4()),
            device_time=datetime.now(VN),
        )
        assert receipt.answer.conflict and receipt.appointment is None
        assert item.disputed and item.phase is Phase.ACCEPTED
        assert s.scalars(select(Appointment)).all() == []


def test_a_replayed_receipt_records_one_appointment(engine: sa.Engine) -> None:
    with transaction(engine) as s:
        item = offered_to_sct(s)
        assert item.id is not None and item.offer_event_id is not None
        offer, client_id, when = item.offer_event_id, str(uuid.uuid4()), datetime.now(VN)
        first = service.receive(
            s,
            user(s, CLERK),
            item.id,
            AppointmentRequest(working_days=5),
            follows=offer,
            client_id=client_id,
            device_time=when,
        )
    with transaction(engine) as s:
        again = service.receive(
            s,
            user(s, CLERK),
            item.id,
            AppointmentRequest(working_days=5),
            follows=offer,
            client_id=client_id,
            device_time=when,
        )
        assert again.answer.replayed and again.appointment is None
        assert first.answer.event_id == again.answer.event_id
        assert len(s.scalars(select(Appointment)).all()) == 1


def test_receipt_of_a_disputed_item_is_refused_by_the_ledger(engine: sa.Engine) -> None:
    with transaction(engine) as s:
        item = offered_to_sct(s)
        item.disputed = True
        s.flush()
        before = counts(s)
        with pytest.raises(LedgerError):
            receive(s, item)
        assert counts(s) == before


def test_a_dossier_for_another_agency_is_not_received_by_the_page(engine: sa.Engine) -> None:
    """Sent to Sở Nội vụ by mistake, a dossier for Sở Công Thương is neither
    listed nor received there (a scan can still record what really happened)."""
    from postal_tracker.agency import queries
    from tests.custody.helpers import new_item

    with transaction(engine) as s:
        item = new_item(s)
        record(
            s,
            actor(s, "canbo.trangxa", "MC-TRANGXA"),
            scan(
                item,
                EventKind.HANDOVER_OFFERED,
                receiver_unit_id=unit(s, "SNV").id,
                receiver_is_agency=True,
            ),
        )
        board = queries.dashboard(s, user(s, OTHER_CLERK), datetime.now(VN).date())
        assert item.id not in [r.item.id for r in board.incoming]
        before = counts(s)
        with pytest.raises(NotFound):
            receive(s, item, username=OTHER_CLERK)
        assert counts(s) == before
