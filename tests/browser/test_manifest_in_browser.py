"""Manifests: scanning a bag in with a USB scanner (it types the code, then Enter) on a
phone-width screen, in a real browser."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from flask import Flask

from postal_tracker.db import transaction
from tests.conftest import DEMO_PASSWORD
from tests.custody.helpers import user
from tests.manifests.helpers import RECEIVER, count, events, item, make_items, offered


def test_scan_a_bag_in(app: Flask, engine: sa.Engine, page: Any) -> None:
    codes = make_items(engine, 4)
    ref = offered(engine, codes[:3])
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/login")
    page.fill("#username", RECEIVER)
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(re.compile(r"/home$"))
    page.click("button[lang=en]")  # the messages checked below are the English ones
    page.wait_for_load_state()
    page.goto(f"/manifests/{ref}/receive")
    # The script shows the scan field and hides the plain text area.
    page.wait_for_selector("#scan", state="visible")
    page.wait_for_selector("#codes", state="hidden")
    scan = page.locator("#scan")
    for code in (codes[0], codes[1].lower(), codes[3]):
        scan.type(code)
        scan.press("Enter")
    typo = codes[2][:10] + str((int(codes[2][10]) + 1) % 10) + codes[2][11:]
    scan.type(typo)
    scan.press("Enter")
    assert "check digit" in page.locator("#scan-error").inner_text()
    scan.type(codes[0])
    scan.press("Enter")
    assert "already scanned" in page.locator("#scan-error").inner_text()
    assert page.locator("#n-in").inner_text() == "2"
    assert page.locator("#n-extra").inner_text() == "1"
    assert page.locator("#scanned li").count() == 3
    # Nothing is recorded until the receiver confirms.
    assert count(engine, "manifest_check") == 0
    # The page fits a phone: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.click("#confirm")
    page.wait_for_selector("#reconciliation")
    assert page.locator("#n-confirmed").inner_text() == "2"
    assert page.locator("#n-missing").inner_text() == "1"
    assert page.locator("#n-extra").inner_text() == "1"
    assert codes[2] in page.locator("ul.codes.missing").inner_text()
    page.screenshot(path="/tmp/postal-tracker-manifest-receive-390x844.png", full_page=True)
    with transaction(engine) as s:
        receiver = user(s, RECEIVER)
        assert item(s, codes[0]).custodian_user_id == receiver.id
        assert item(s, codes[1]).custodian_user_id == receiver.id
        assert item(s, codes[2]).custodian_user_id != receiver.id
        assert events(s, codes[2])[-1].kind == "incident_opened"
    assert count(engine, "manifest_check") == 4
