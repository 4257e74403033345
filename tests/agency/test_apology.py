"""The apology slip: a new appointment naming the old one, a PDF in
Vietnamese, and a notice to the citizen."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import col, select

from postal_tracker.agency import queries, service
from postal_tracker.agency.apology_slip import render_apology_slip
from postal_tracker.agency.models import ApologySlip, Appointment
from postal_tracker.db import transaction
from postal_tracker.errors import DomainError, NotFound
from postal_tracker.notify.models import Medium, OutboxMessage
from postal_tracker.s10 import format_code
from postal_tracker.workdays import add_working_days, is_working_day
from tests.agency.conftest import CLERK, OTHER_CLERK, counts, offered_to_sct, receive
from tests.custody.helpers import VN, user
from tests.slips.pdfcheck import page_count, text_of

REASON = "Hồ sơ cần lấy ý kiến thẩm định của Sở Tài chính; thời gian thẩm định kéo dài."


def _today() -> date:
    return datetime.now(VN).date()


def _late_dossier(s: sa.orm.Session) -> tuple[int, date]:
    """A dossier received on Wed 11 Feb 2026 with 5 working days: due 25 Feb, long past."""
    item = offered_to_sct(s)
    receipt = receive(s, item, days=5, when=datetime(2026, 2, 11, 9, 0, tzinfo=VN))
    assert receipt.appointment is not None
    return item.dossier_id, receipt.appointment.due_on


def _issue(
    s: sa.orm.Session, dossier_id: int, new_date: date, reason: str = REASON, username: str = CLERK
) -> ApologySlip:
    return service.issue_apology(
        s, user(s, username), dossier_id, reason=reason, new_date=new_date, today=_today()
    )


def test_a_late_dossier_is_highlighted_and_gets_an_apology_slip(engine: sa.Engine) -> None:
    new_date = add_working_days(_today(), 3)
    with transaction(engine) as s:
        dossier_id, old_date = _late_dossier(s)
        assert old_date == date(2026, 2, 25)
        (row,) = queries.dashboard(s, user(s, CLERK), _today()).at_agency
        assert row.due is not None and row.due.late and not row.due.soon
        slip = _issue(s, dossier_id, new_date)
    with transaction(engine) as s:
        slip = s.get(ApologySlip, slip.id) or slip
        appointments = s.scalars(
            select(Appointment)
            .where(Appointment.dossier_id == dossier_id)
            .order_by(col(Appointment.id))
        ).all()
        assert [a.due_on for a in appointments] == [old_date, new_date]
        assert appointments[1].replaces_id == appointments[0].id
        assert (slip.appointment_id, slip.previous_appointment_id) == (
            appointments[1].id,
            appointments[0].id,
        )
        assert queries.current_appointment(s, dossier_id) == appointments[1]
        (row,) = queries.dashboard(s, user(s, CLERK), _today()).at_agency
        assert row.due is not None and row.due.due_on == new_date and not row.due.late
        assert row.due.soon == (row.due.working_days_left <= 2)

        data = service.slip_data(s, slip)
        pdf = render_apology_slip(data)
        # Deterministic: the PDF rendered now is the one whose hash was stored.
        assert hashlib.sha256(pdf).hexdigest() == slip.pdf_sha256
        assert render_apology_slip(data) == pdf
        (notice,) = s.scalars(
            select(OutboxMessage).where(OutboxMessage.dossier_id == dossier_id)
        ).all()  # the sender gave no email: an SMS only
        assert (notice.kind, notice.medium, notice.dedupe_key) == (
            "apology",
            Medium.SMS,
            f"apology:{slip.id}",
        )
        assert notice.context == {
            "tracking_code": data.tracking_code,
            "procedure_name": "Cấp giấy phép",
            "reason": REASON,
            "old_date": "2026-02-25",
            "new_date": new_date.isoformat(),
        }
        assert "25/02/2026" in notice.body and new_date.strftime("%d/%m/%Y") in notice.body
        assert page_count(pdf) == 1
        text = " ".join(text_of(pdf).split())
        for expected in (
            "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ",
            "Sở Công Thương",
            REASON,
            "25/02/2026",
            new_date.strftime("%d/%m/%Y"),
            "Nguyễn Thị Phương Thảo",
            format_code(data.tracking_code),
            "Cấp giấy phép",
            "Hoàng Văn Nam",
        ):
            assert expected in text, expected


def test_a_long_reason_fits_and_reads_back(engine: sa.Engine) -> None:
    reason = ("Cần bổ sung xác minh thực địa tại cơ sở kinh doanh. " * 10)[:500].strip()
    with transaction(engine) as s:
        dossier_id, _ = _late_dossier(s)
        slip = _issue(s, dossier_id, add_working_days(_today(), 2), reason=reason)
        pdf = render_apology_slip(service.slip_data(s, slip))
        assert page_count(pdf) == 1
        assert reason in " ".join(text_of(pdf).split())


def _next_weekend_day() -> date:
    day = _today() + timedelta(days=1)
    while is_working_day(day):
        day += timedelta(days=1)
    return day


@pytest.mark.parametrize(
    ("reason", "when", "field", "code"),
    [
        ("", "soon", "reason", "required"),
        ("   ", "soon", "reason", "required"),
        ("x" * 501, "soon", "reason", "too_long"),
        (REASON, "weekend", "new_date", "not_working_day"),
        (REASON, "today", "new_date", "not_future"),
        (REASON, "past_working_day", "new_date", "not_future"),
    ],
)
def test_bad_apologies_write_nothing(
    engine: sa.Engine, reason: str, when: str, field: str, code: str
) -> None:
    day = {
        "soon": add_working_days(_today(), 2),
        "weekend": _next_weekend_day(),
        "today": _today(),
        "past_working_day": date(2026, 3, 2),
    }[when]
    with transaction(engine) as s:
        dossier_id, _ = _late_dossier(s)
    with transaction(engine) as s:
        before = counts(s)
        with pytest.raises(DomainError) as refused:
            _issue(s, dossier_id, day, reason=reason)
        assert (refused.value.field, refused.value.code) == (field, code)
        assert counts(s) == before


def test_the_new_date_must_come_after_the_old_one(engine: sa.Engine) -> None:
    with transaction(engine) as s:
        item = offered_to_sct(s)
        receipt = receive(s, item, days=20)
        assert receipt.appointment is not None
        earlier = add_working_days(_today(), 5)
        before = counts(s)
        with pytest.raises(DomainError) as refused:
            _issue(s, item.dossier_id, earlier)
        assert (refused.value.field, refused.value.code) == ("new_date", "not_after_old")
        assert counts(s) == before


def test_no_apology_for_another_agency_or_without_an_appointment(engine: sa.Engine) -> None:
    with transaction(engine) as s:
        dossier_id, _ = _late_dossier(s)
        before = counts(s)
        with pytest.raises(NotFound):
            _issue(s, dossier_id, add_working_days(_today(), 2), username=OTHER_CLERK)
        assert counts(s) == before
        slip = _issue(s, dossier_id, add_working_days(_today(), 2))
        assert slip.id is not None
        with pytest.raises(NotFound):
            service.apology_slip_for(s, user(s, OTHER_CLERK), slip.id)
        assert service.apology_slip_for(s, user(s, CLERK), slip.id) == slip
        not_received = offered_to_sct(s)
        with pytest.raises(DomainError) as refused:
            _issue(s, not_received.dossier_id, add_working_days(_today(), 2))
        assert refused.value.code == "not_at_agency"


def test_a_second_apology_replaces_the_first_new_date(engine: sa.Engine) -> None:
    with transaction(engine) as s:
        dossier_id, _ = _late_dossier(s)
        first = _issue(s, dossier_id, add_working_days(_today(), 2))
        second = _issue(s, dossier_id, add_working_days(_today(), 4), reason="Chờ ký duyệt.")
        assert second.previous_appointment_id == first.appointment_id
        data = service.slip_data(s, second)
        assert data.old_date == add_working_days(_today(), 2)
        assert data.received_on == date(2026, 2, 11)
