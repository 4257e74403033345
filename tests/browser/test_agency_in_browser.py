"""An agency clerk at work in a real browser on a phone-sized screen: receive
a dossier with its appointment date, then record its result."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import select

from postal_tracker.agency.models import AgencyResult, Appointment
from postal_tracker.custody.models import Item
from postal_tracker.custody.rules import Phase
from postal_tracker.db import transaction
from postal_tracker.workdays import add_working_days
from tests.agency.conftest import CLERK, offered_to_sct
from tests.conftest import DEMO_PASSWORD
from tests.custody.helpers import VN

PHONE = {"width": 390, "height": 844}


def _log_in(tab: Any, username: str) -> None:
    tab.goto("/login")
    tab.fill("#username", username)
    tab.fill("#password", DEMO_PASSWORD)
    tab.click("button[type=submit].primary")
    tab.wait_for_url(re.compile(r"/home$"))


def _fits_the_screen(tab: Any) -> bool:
    return bool(tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_a_clerk_receives_a_dossier_and_records_its_result_on_a_phone(
    engine: sa.Engine,
    page: Any,
) -> None:
    with transaction(engine) as s:
        item = offered_to_sct(s)
    page.set_viewport_size(PHONE)
    _log_in(page, CLERK)
    page.goto("/agency/")
    assert _fits_the_screen(page)
    row = page.locator("#incoming tr", has_text=item.tracking_code)
    row.get_by_role("link", name="Xác nhận tiếp nhận").click()
    page.wait_for_url(re.compile(r"/receive$"))
    page.check("input[name=mode][value=days]")
    page.fill("#working_days", "5")
    page.get_by_role("button", name="Xác nhận tiếp nhận").click()
    page.wait_for_url(re.compile(r"/agency/$"))
    due = add_working_days(datetime.now(VN).date(), 5).strftime("%d/%m/%Y")
    assert due in page.locator(".flash.success").inner_text()
    at_agency = page.locator("#at-agency tr", has_text=item.tracking_code)
    assert due in at_agency.inner_text()
    assert _fits_the_screen(page)

    at_agency.get_by_role("link", name="Đã có kết quả").click()
    page.wait_for_url(re.compile(r"/result$"))
    page.select_option("#kind", "permit")
    page.fill("#document_number", "88/GP-SCT")
    page.fill("#signer", "Trần Văn Quyết")
    page.get_by_role("button", name="Ghi nhận kết quả").click()
    page.wait_for_url(re.compile(r"/agency/$"))
    with transaction(engine) as s:
        (appointment,) = s.scalars(select(Appointment)).all()
        assert appointment.due_on.strftime("%d/%m/%Y") == due
        result = s.scalars(select(AgencyResult)).one()
        result_item = s.get(Item, result.item_id)
        assert result_item is not None and result_item.phase is Phase.RESULT_READY
    assert result_item.tracking_code in page.locator("#results").inner_text()
    assert result_item.tracking_code in page.locator(".flash.success").inner_text()
    assert _fits_the_screen(page)
