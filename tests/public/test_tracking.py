"""Public tracking: the right code and phone digits show the journey in plain
words; a wrong pair, an unknown code and a malformed code get the very same
answer; lookups are rate-limited per address."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from postal_tracker import s10
from postal_tracker.custody.ledger import record
from postal_tracker.custody.rules import EventKind
from postal_tracker.db import transaction
from postal_tracker.extensions import limiter
from tests.conftest import Browser
from tests.custody.helpers import actor, new_item, scan, unit


@pytest.fixture
def code(engine: sa.Engine) -> str:
    """A dossier taken in at Tràng Xá (phone +84912345678) and handed to the post."""
    with transaction(engine) as s:
        item = new_item(s)
        record(
            s,
            actor(s, "canbo.trangxa", "MC-TRANGXA"),
            scan(item, EventKind.HANDOVER_OFFERED, receiver_unit_id=unit(s, "BD-VONHAI").id),
        )
        record(
            s,
            actor(s, "buuta.vonhai", "BD-VONHAI"),
            scan(item, EventKind.HANDOVER_CONFIRMED, follows=item.offer_event_id),
        )
        return item.tracking_code


@pytest.fixture
def browser(client: FlaskClient) -> Iterator[Browser]:
    limiter.reset()
    yield Browser(client)
    limiter.reset()


def look_up(b: Browser, code: str, digits: str) -> tuple[int, str]:
    response = b.post("/track", {"code": code, "phone_digits": digits}, csrf="/track")
    return response.status_code, response.get_data(as_text=True)


def without_tokens(html: str) -> str:
    """The page's CSRF tokens carry the second they were signed in; nothing
    else may differ between two answers."""
    return re.sub(r'name="csrf_token"([^>]*)value="[^"]+"', r'name="csrf_token"\1value=""', html)


def test_the_form_is_a_post_and_keeps_codes_out_of_urls(browser: Browser) -> None:
    html = browser.client.get("/track").get_data(as_text=True)
    assert 'method="post"' in html and 'action="/track"' in html
    assert 'inputmode="numeric"' in html


def test_the_right_pair_shows_the_timeline_in_plain_words(
    browser: Browser, code: str, app: Flask
) -> None:
    status, html = look_up(browser, s10.format_code(code).lower(), "5678")
    assert status == 200
    assert code in html
    assert "N. T. P. Thảo" in html  # masked
    assert "Nguyễn Thị Phương Thảo" not in html
    assert "0912" not in html and "345678" not in html
    assert "Bưu điện huyện Võ Nhai" in html  # where, as an office
    for staff in ("Lương Thị Thu Hà", "Nguyễn Văn Hùng", "canbo.trangxa", "buuta.vonhai"):
        assert staff not in html
    # Plain words in Vietnamese, and the internal offer step left out.
    assert "Tra cứu hồ sơ" in html and "Đã tiếp nhận và niêm phong" in html
    assert "handover_offered" not in html


def test_every_miss_gets_the_same_answer(browser: Browser, code: str) -> None:
    other = s10.make("HC", 99_999_990 if s10.issuable(99_999_990) else 99_999_991)
    answers = [
        look_up(browser, code, "5679"),  # wrong digits
        look_up(browser, code, ""),  # no digits
        look_up(browser, code, "abcd"),
        look_up(browser, other, "5678"),  # a well-formed code nobody holds
        look_up(browser, "HC123", "5678"),  # malformed
        look_up(browser, code[:-3] + "XX", "5678"),  # bad check/country
    ]
    statuses = {status for status, _ in answers}
    bodies = {without_tokens(html) for _, html in answers}
    assert statuses == {200}
    assert len(bodies) == 1
    [body] = bodies
    assert code not in body and "5679" not in body
    assert 'role="alert"' in body


def test_lookups_are_rate_limited(browser: Browser, code: str) -> None:
    for _ in range(10):
        assert look_up(browser, code, "0000")[0] == 200
    status, _ = look_up(browser, code, "5678")
    assert status == 429
    # Reading the form is not a lookup.
    assert browser.client.get("/track").status_code == 200
