"""A postal worker's run in a real browser, on a phone-sized screen: start the
run, deliver one result with a drawn signature, record a failed attempt."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select

from postal_tracker.clock import VN_TZ
from postal_tracker.custody.models import CustodyEvent, Item
from postal_tracker.custody.rules import EventKind
from postal_tracker.db import transaction
from postal_tracker.delivery.models import Delivery, DeliveryStatus
from postal_tracker.delivery.routes import RouteInput, check_route, save_route
from tests.conftest import DEMO_PASSWORD
from tests.delivery.helpers import put_on_run, returning_result


def _kinds(engine: sa.Engine, code: str) -> list[EventKind]:
    with transaction(engine) as s:
        item = s.scalars(select(Item).where(Item.tracking_code == code)).one()
        return list(
            s.scalars(
                select(CustodyEvent.kind)
                .where(CustodyEvent.item_id == item.id)
                .order_by(col(CustodyEvent.seq))
            )
        )


def test_a_run_with_one_delivery_and_one_failed_attempt(engine: sa.Engine, page: Any) -> None:
    from datetime import datetime

    today = datetime.now(VN_TZ).date()
    with transaction(engine) as s:
        # Every weekday, so a next attempt can be found whatever today is.
        save_route(
            s,
            check_route(
                s, RouteInput("buuta.vonhai", "X-TRANGXA", "0 1 2 3 4 5 6", "08:00", "11:30", "30")
            ),
        )
        first = returning_result(s)
        second = returning_result(s)
        put_on_run(s, first, "buuta.vonhai", today)
        put_on_run(s, second, "buuta.vonhai", today)
        codes = (first.tracking_code, second.tracking_code)

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/login")
    page.fill("#username", "buuta.vonhai")
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(re.compile(r"/home$"))
    page.goto("/delivery/run")
    for code in codes:
        assert page.locator(f"li.stop[data-code='{code}']").is_visible()
    page.click("#start-run")
    page.wait_for_url(re.compile(r"/delivery/run"))
    assert _kinds(engine, codes[0])[-1] is EventKind.OUT_FOR_DELIVERY

    # Deliver the first: name, a signature drawn with the mouse, submit.
    page.locator(f"li.stop[data-code='{codes[0]}'] a[href$='/proof']").click()
    page.fill("#recipient_name", "Lâm Văn Sùng")
    # Submitting without a signature is refused, and nothing is recorded.
    page.click("button[type=submit].primary")
    page.locator("#signature-error").wait_for(state="visible")
    assert _kinds(engine, codes[0])[-1] is EventKind.OUT_FOR_DELIVERY
    box = page.locator("#signature-pad").bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + 60)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(box["x"] + 20 + step * 25, box["y"] + 60 + (-1) ** step * 25)
    page.mouse.up()
    page.check("#originals_returned")
    page.click("button[type=submit].primary")
    page.wait_for_url(re.compile(r"/delivery/run"))
    assert _kinds(engine, codes[0])[-1] is EventKind.DELIVERED
    assert page.locator(f"li.stop[data-code='{codes[0]}'] a[href$='/slip.pdf']").is_visible()

    # The second: nobody at home, a notice card left.
    page.locator(f"li.stop[data-code='{codes[1]}'] a[href$='/failed']").click()
    page.check("input[name=reason][value=not_home]")
    page.check("input[name=action][value=notice_left]")
    page.click("button[type=submit].primary")
    page.wait_for_url(re.compile(r"/delivery/run"))
    assert _kinds(engine, codes[1])[-1] is EventKind.DELIVERY_FAILED
    with transaction(engine) as s:
        statuses = [d.status for d in s.scalars(select(Delivery).order_by(col(Delivery.id)))]
    assert statuses == [
        DeliveryStatus.DELIVERED,
        DeliveryStatus.FAILED,
        DeliveryStatus.SCHEDULED,  # the next attempt
    ]
