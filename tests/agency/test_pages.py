"""The agency's pages: what a clerk sees and does, in Vietnamese, and 404 for
everything outside their agency."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlmodel import select

from postal_tracker.agency.models import AgencyResult, ApologySlip, Appointment
from postal_tracker.custody.ledger import record
from postal_tracker.custody.models import CustodyEvent, Item
from postal_tracker.custody.rules import EventKind, Phase
from postal_tracker.db import transaction
from postal_tracker.workdays import add_working_days, is_working_day
from tests.agency.conftest import CLERK, OTHER_CLERK, counts, offered_to_sct, received_at_sct
from tests.conftest import Browser
from tests.custody.helpers import VN, actor, scan, unit, user
from tests.slips.pdfcheck import text_of
from tests.web.conftest import error_for, translated

CONFLICT = (
    "The dossier was handed to someone else before you confirmed. Nothing moved; "
    "the item is now disputed and a supervisor has been alerted."
)


def _today() -> date:
    return datetime.now(VN).date()


def _next_non_working_day() -> date:
    day = _today() + timedelta(days=1)
    while is_working_day(day):
        day += timedelta(days=1)
    return day


def _form_value(page: str, name: str) -> str:
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page)
    assert match, name
    return match.group(1)


def _receipt_form(b: Browser, item_id: int, **fields: str) -> dict[str, str]:
    page = b.client.get(f"/agency/incoming/{item_id}/receive").get_data(as_text=True)
    data = {
        "client_id": _form_value(page, "client_id"),
        "device_time": _form_value(page, "device_time"),
        "follows": _form_value(page, "follows"),
        "mode": "days",
        "working_days": "5",
        "due_on": "",
    }
    data.update(fields)
    return data


def test_a_clerk_receives_a_dossier_with_its_appointment(
    app: Flask, engine: sa.Engine, as_user: Callable[[str], Browser]
) -> None:
    with transaction(engine) as s:
        item = offered_to_sct(s)
    b = as_user(CLERK)
    board = b.client.get("/agency/").get_data(as_text=True)
    assert item.tracking_code in board
    assert translated(app, "vi", "Confirm receipt") in board
    data = _receipt_form(b, item.id or 0)
    response = b.post(f"/agency/incoming/{item.id}/receive", data)
    assert response.status_code == 302, response.get_data(as_text=True)
    due = add_working_days(_today(), 5)
    page = b.client.get("/agency/").get_data(as_text=True)
    assert due.strftime("%d/%m/%Y") in page
    # The same form sent again (a double tap) records nothing more.
    again = b.post(f"/agency/incoming/{item.id}/receive", data)
    assert again.status_code == 302
    with transaction(engine) as s:
        packet = s.get(Item, item.id)
        assert packet is not None and packet.phase is Phase.AT_AGENCY
        (appointment,) = s.scalars(select(Appointment)).all()
        assert appointment.due_on == due


@pytest.mark.parametrize(
    ("fields", "field_id", "message"),
    [
        (
            {"mode": "date", "due_on": "weekend"},
            "due_on",
            "This is a weekend day or a public holiday; choose a working day.",
        ),
        (
            {"mode": "date", "due_on": "today"},
            "due_on",
            "The appointment date must be after today.",
        ),
        ({"mode": "date", "due_on": "31/02/2027"}, "due_on", "Enter a date as dd/mm/yyyy."),
        (
            {"mode": "days", "working_days": "0"},
            "working_days",
            "Enter a whole number of working days from 1 to %(max)d.",
        ),
        (
            {"mode": "days", "working_days": "năm"},
            "working_days",
            "Enter a whole number of working days from 1 to %(max)d.",
        ),
    ],
)
def test_a_bad_appointment_shows_its_message_and_writes_nothing(
    app: Flask,
    engine: sa.Engine,
    as_user: Callable[[str], Browser],
    fields: dict[str, str],
    field_id: str,
    message: str,
) -> None:
    with transaction(engine) as s:
        item = offered_to_sct(s)
    b = as_user(CLERK)
    special = {"weekend": _next_non_working_day(), "today": _today()}
    if fields.get("due_on") in special:
        fields = {**fields, "due_on": special[fields["due_on"]].isoformat()}
    data = _receipt_form(b, item.id or 0, **fields)
    with transaction(engine) as s:
        before = counts(s)
    response = b.post(f"/agency/incoming/{item.id}/receive", data)
    assert response.status_code == 422
    expected = translated(app, "vi", message, max=250)
    assert error_for(response.get_data(as_text=True), field_id) == expected
    assert expected != message  # shown in Vietnamese
    with transaction(engine) as s:
        assert counts(s) == before


def test_a_stale_receipt_answers_409_and_keeps_the_conflict(
    app: Flask, engine: sa.Engine, as_user: Callable[[str], Browser]
) -> None:
    with transaction(engine) as s:
        item = offered_to_sct(s)
    b = as_user(CLERK)
    data = _receipt_form(b, item.id or 0)
    with transaction(engine) as s:
        # Meanwhile the officer offers the dossier again.
        item = s.get(Item, item.id) or item
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
    response = b.post(f"/agency/incoming/{item.id}/receive", data)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert translated(app, "vi", CONFLICT) in page
    with transaction(engine) as s:
        kinds = [
            e.kind for e in s.scalars(select(CustodyEvent).where(CustodyEvent.item_id == item.id))
        ]
        assert kinds[-1] is EventKind.CONFLICT
        assert s.scalars(select(Appointment)).all() == []


def test_result_offer_and_apology_through_the_pages(
    engine: sa.Engine, as_user: Callable[[str], Browser]
) -> None:
    with transaction(engine) as s:
        packet = received_at_sct(s)
        late = offered_to_sct(s)
        from tests.agency.conftest import receive

        receive(s, late, days=5, when=datetime(2026, 2, 11, 9, 0, tzinfo=VN))
        worker = user(s, "buuta.vonhai").id
    b = as_user(CLERK)
    board = b.client.get("/agency/").get_data(as_text=True)
    assert 'class="late"' in board
    page = b.client.get(f"/agency/dossiers/{packet.dossier_id}/result").get_data(as_text=True)
    response = b.post(
        f"/agency/dossiers/{packet.dossier_id}/result",
        {
            "client_id": _form_value(page, "client_id"),
            "device_time": _form_value(page, "device_time"),
            "kind": "decision",
            "document_number": "77/QĐ-SCT",
            "signer": "Trần Văn Quyết",
            "signed_on": _today().isoformat(),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with transaction(engine) as s:
        result = s.scalars(select(AgencyResult)).one()
        result_item = s.get(Item, result.item_id)
        assert result_item is not None and result_item.phase is Phase.RESULT_READY
    assert result_item.tracking_code in b.client.get("/agency/").get_data(as_text=True)

    page = b.client.get(f"/agency/results/{result_item.id}/offer").get_data(as_text=True)
    response = b.post(
        f"/agency/results/{result_item.id}/offer",
        {
            "client_id": _form_value(page, "client_id"),
            "device_time": _form_value(page, "device_time"),
            "follows": _form_value(page, "follows"),
            "receiver": f"user:{worker}",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with transaction(engine) as s:
        offered = s.get(Item, result_item.id)
        assert offered is not None and offered.offered_to_user_id == worker

    reason = "Chờ ý kiến thẩm định của Sở Xây dựng."
    new_date = add_working_days(_today(), 3)
    response = b.post(
        f"/agency/dossiers/{late.dossier_id}/apology",
        {"reason": reason, "new_date": new_date.isoformat()},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    slip_url = response.headers["Location"]
    assert re.fullmatch(r"/agency/apology-slips/\d+", slip_url)
    assert reason in b.client.get(slip_url).get_data(as_text=True)
    pdf = b.client.get(slip_url + ".pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = " ".join(text_of(pdf.data).split())
    assert reason in text and "25/02/2026" in text and new_date.strftime("%d/%m/%Y") in text


def test_bad_result_and_apology_forms_write_nothing(
    app: Flask, engine: sa.Engine, as_user: Callable[[str], Browser]
) -> None:
    with transaction(engine) as s:
        packet = received_at_sct(s)
        before = counts(s)
    b = as_user(CLERK)
    tomorrow = (_today() + timedelta(days=1)).isoformat()
    response = b.post(
        f"/agency/dossiers/{packet.dossier_id}/result",
        {"kind": "permit", "document_number": "1/GP", "signer": "A", "signed_on": tomorrow},
    )
    assert response.status_code == 422
    assert error_for(response.get_data(as_text=True), "signed_on") == translated(
        app, "vi", "The date signed cannot be in the future."
    )
    response = b.post(
        f"/agency/dossiers/{packet.dossier_id}/result",
        {"kind": "bogus", "document_number": "", "signer": "", "signed_on": ""},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    required = translated(app, "vi", "This field is required.")
    assert error_for(page, "document_number") == required
    assert error_for(page, "signer") == required
    response = b.post(
        f"/agency/dossiers/{packet.dossier_id}/apology",
        {"reason": "  ", "new_date": add_working_days(_today(), 2).isoformat()},
    )
    assert response.status_code == 422
    assert error_for(response.get_data(as_text=True), "reason") == required
    with transaction(engine) as s:
        assert counts(s) == before


def test_everything_outside_the_clerks_agency_is_404(
    engine: sa.Engine, as_user: Callable[[str], Browser]
) -> None:
    with transaction(engine) as s:
        incoming = offered_to_sct(s)
        packet = received_at_sct(s)
        from postal_tracker.agency import service

        slip = service.issue_apology(
            s,
            user(s, CLERK),
            packet.dossier_id,
            reason="Chờ ký.",
            new_date=add_working_days(_today(), 8),
            today=_today(),
        )
        before = counts(s)
    other = as_user(OTHER_CLERK)
    paths = [
        f"/agency/incoming/{incoming.id}/receive",
        f"/agency/dossiers/{packet.dossier_id}/result",
        f"/agency/dossiers/{packet.dossier_id}/apology",
        f"/agency/dossiers/{packet.dossier_id}/appointment",
        f"/agency/apology-slips/{slip.id}",
        f"/agency/apology-slips/{slip.id}.pdf",
        "/agency/apology-slips/999999.pdf",
        "/agency/dossiers/999999/result",
    ]
    for path in paths:
        assert other.client.get(path).status_code == 404, path
    for path in paths[:4]:
        assert other.post(path, {"reason": "x", "new_date": "2030-01-02"}).status_code == 404, path
    assert incoming.tracking_code not in other.client.get("/agency/").get_data(as_text=True)
    assert as_user("canbo.trangxa").client.get("/agency/").status_code == 404
    with transaction(engine) as s:
        assert counts(s) == before
        assert s.scalars(select(ApologySlip)).one().id == slip.id


def test_a_dossier_received_by_scan_gets_its_appointment_afterwards(
    app: Flask, engine: sa.Engine, as_user: Callable[[str], Browser]
) -> None:
    """The demo's Trưng Vương dossier was received at Sở Nội vụ by a scan,
    without a date: the board asks for one, counted from the day of receipt."""
    with transaction(engine) as s:
        packet = s.scalars(
            select(Item).where(
                Item.phase == Phase.AT_AGENCY, Item.custodian_unit_id == unit(s, "SNV").id
            )
        ).one()
        assert packet.custody_since is not None
        received_on = packet.custody_since.astimezone(VN).date()
    b = as_user(OTHER_CLERK)
    board = b.client.get("/agency/").get_data(as_text=True)
    link = f"/agency/dossiers/{packet.dossier_id}/appointment"
    assert link in board
    response = b.post(link, {"mode": "days", "working_days": "3"})
    assert response.status_code == 302, response.get_data(as_text=True)
    with transaction(engine) as s:
        (row,) = s.scalars(select(Appointment)).all()
        assert (row.due_on, row.counted_from) == (add_working_days(received_on, 3), received_on)
        before = counts(s)
    again = b.post(link, {"mode": "days", "working_days": "4"})
    assert again.status_code == 422
    assert translated(
        app, "vi", "This dossier already has an appointment date; a new date needs an apology slip."
    ) in again.get_data(as_text=True)
    with transaction(engine) as s:
        assert counts(s) == before
    assert link not in b.client.get("/agency/").get_data(as_text=True)


def test_a_stale_page_does_not_backdate_the_receipt(
    engine: sa.Engine, as_user: Callable[[str], Browser]
) -> None:
    with transaction(engine) as s:
        item = offered_to_sct(s)
    b = as_user(CLERK)
    three_days_ago = (datetime.now(VN) - timedelta(days=3)).isoformat()
    data = _receipt_form(b, item.id or 0, device_time=three_days_ago)
    assert b.post(f"/agency/incoming/{item.id}/receive", data).status_code == 302
    with transaction(engine) as s:
        (row,) = s.scalars(select(Appointment)).all()
        assert row.counted_from == _today()
        event = s.scalars(
            select(CustodyEvent).where(CustodyEvent.kind == EventKind.DELIVERED_TO_AGENCY)
        ).all()[-1]
        assert event.device_time > datetime.now(VN) - timedelta(minutes=5)
