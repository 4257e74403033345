"""The citizen's tracking page and the supervisor's alerts page in Chromium,
on a phone-sized screen."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from flask import Flask

from postal_tracker.db import transaction
from postal_tracker.extensions import limiter
from postal_tracker.watch.alerts import raise_findings
from postal_tracker.watch.rules import Finding
from tests.conftest import DEMO_PASSWORD
from tests.custody.helpers import new_item, unit

PHONE = {"width": 390, "height": 844}


def fits(tab: Any) -> bool:
    return bool(tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_a_citizen_tracks_a_dossier_on_a_phone(app: Flask, engine: sa.Engine, page: Any) -> None:
    limiter.reset()
    with transaction(engine) as s:
        code = new_item(s).tracking_code  # sender phone ends in 5678
    page.set_viewport_size(PHONE)
    page.goto("/track")
    assert fits(page)
    page.fill("#code", code)
    page.fill("#phone_digits", "1111")
    page.click("button[type=submit].primary")
    page.locator("[role=alert]").wait_for(state="visible")
    assert code not in page.url and "1111" not in page.url
    assert page.input_value("#code") == ""  # nothing typed is echoed back

    page.fill("#code", code.lower())
    page.fill("#phone_digits", "5678")
    page.click("button[type=submit].primary")
    page.wait_for_selector("#timeline")
    timeline = page.inner_text("#timeline")
    assert code in timeline and "N. T. P. Thảo" in timeline
    assert "Đã tiếp nhận và niêm phong" in timeline
    assert page.url.endswith("/track")
    assert fits(page)


def test_a_supervisor_resolves_an_alert_on_a_phone(
    app: Flask, engine: sa.Engine, page: Any
) -> None:
    with transaction(engine) as s:
        item = new_item(s)
        [alert] = raise_findings(
            s,
            [
                Finding(
                    "browser:1",
                    "custody_stalled",
                    unit(s, "MC-TRANGXA").id,
                    item.id,
                    "%(code)s has not moved since %(since)s.",
                    {"code": item.tracking_code, "since": "01/12/2026"},
                )
            ],
        )
        alert_id = alert.id
    page.set_viewport_size(PHONE)
    page.goto("/login")
    page.fill("#username", "giamsat")
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(re.compile(r"/home$"))
    page.goto("/alerts/")
    card = page.locator(f"#alert-{alert_id}")
    assert "Bưu gửi không được chuyển tiếp" in card.inner_text()
    assert fits(page)
    card.locator("button[type=submit]").click()  # no note yet
    page.wait_for_selector(f"#alert-{alert_id} [role=alert]")
    assert "Ghi rõ đã xử lý thế nào." in page.inner_text(f"#alert-{alert_id}")
    page.fill(f"#note-{alert_id}", "Đã gọi cán bộ một cửa, hồ sơ đã chuyển đi.")
    page.locator(f"#alert-{alert_id} button[type=submit]").click()
    page.wait_for_selector(".flash.success")
    assert page.locator(f"#alert-{alert_id}").count() == 0
