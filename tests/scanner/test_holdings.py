"""What I hold now, and what my office holds: scope, order, durations."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from sqlmodel import select

from postal_tracker.custody.models import Item
from postal_tracker.db import transaction, utcnow
from postal_tracker.scanner.holdings import duration_text, held_for
from tests.conftest import Browser
from tests.custody.helpers import new_item

ROW = re.compile(r'<tr data-code="([A-Z0-9]+)">(.*?)</tr>', re.S)


def _rows(html: str, section: str = "") -> list[tuple[str, str]]:
    """(code, text of the row) for each row, after ``section`` if given."""
    if section:
        html = html.split(section, 1)[1]
    return [(code, re.sub(r"<[^>]+>|\s+", " ", row)) for code, row in ROW.findall(html)]


@pytest.fixture
def three_held(app: Flask) -> list[str]:
    """Three items held by canbo.trangxa for 10 minutes, 5 hours and 3 days."""
    now = utcnow()
    codes = []
    with transaction(app.extensions["db_engine"]) as s:
        for age in (timedelta(minutes=10), timedelta(hours=5), timedelta(days=3, hours=2)):
            item = new_item(s)
            item.custody_since = now - age
            codes.append(item.tracking_code)
    return codes


def test_durations_read_like_a_person_would_say_them(app: Flask) -> None:
    with app.test_request_context():
        assert duration_text(timedelta(minutes=7, seconds=59)) == "7 phút"
        assert duration_text(timedelta(hours=5, minutes=3)) == "5 giờ 3 phút"
        assert duration_text(timedelta(days=2, hours=4, minutes=59)) == "2 ngày 4 giờ"
        assert duration_text(None) == "—"
    now = utcnow()
    assert held_for(now + timedelta(minutes=1), now) == timedelta(0)  # a clock skew is not negative
    assert held_for(None, now) is None


def test_what_i_hold_longest_first(
    as_user: Callable[[str], Browser], three_held: list[str]
) -> None:
    html = as_user("canbo.trangxa").client.get("/scanner/held").get_data(as_text=True)
    rows = _rows(html.split('id="offered"')[0])
    codes = [code for code, _ in rows]
    ten_min, five_h, three_d = three_held
    assert codes.index(three_d) < codes.index(five_h) < codes.index(ten_min)
    assert codes[0] == three_d
    text = dict(rows)
    assert "3 ngày 2 giờ" in text[three_d]
    assert "5 giờ 0 phút" in text[five_h]
    assert re.search(r"\b10 phút", text[ten_min])


def test_someone_elses_items_are_not_mine(
    as_user: Callable[[str], Browser], three_held: list[str]
) -> None:
    html = as_user("buuta.donghy").client.get("/scanner/held").get_data(as_text=True)
    assert not set(three_held) & {code for code, _ in _rows(html)}


def test_items_offered_to_my_office_wait_for_me(
    app: Flask, as_user: Callable[[str], Browser]
) -> None:
    with transaction(app.extensions["db_engine"]) as s:
        # Demo: the Võ Nhai postal worker offered one to the provincial hub.
        offered = s.scalars(select(Item).where(Item.offered_to_unit_id.is_not(None))).all()  # type: ignore[union-attr]
        to_hub = [i.tracking_code for i in offered if i.phase == "in_transit"]
    html = as_user("gdv.tinh").client.get("/scanner/held").get_data(as_text=True)
    waiting = [code for code, _ in _rows(html, 'id="offered"')]
    assert to_hub and set(to_hub) <= set(waiting)
    row = dict(_rows(html, 'id="offered"'))[to_hub[0]]
    assert "Nguyễn Văn Hùng" in row  # the giver, who still holds it


def test_my_office_lists_who_holds_what(
    as_user: Callable[[str], Browser], three_held: list[str]
) -> None:
    browser = as_user("canbo.trangxa")
    home = browser.client.get("/scanner/held").get_data(as_text=True)
    assert "/scanner/held/MC-TRANGXA" in home
    html = browser.client.get("/scanner/held/MC-TRANGXA").get_data(as_text=True)
    rows = _rows(
        html.split("Offered to this office")[0].split("Đề nghị bàn giao cho đơn vị này")[0]
    )
    codes = [code for code, _ in rows]
    assert codes[0] == three_held[2]
    assert set(three_held) <= set(codes)
    assert all("Lương Thị Thu Hà" in text for code, text in rows if code in three_held)


@pytest.mark.parametrize(
    ("username", "path", "status"),
    [
        ("canbo.trangxa", "/scanner/held/BD-TINH", 404),  # not my office
        ("canbo.trangxa", "/scanner/held/NO-SUCH", 404),  # the same answer as not mine
        ("giamsat", "/scanner/held/MC-TRANGXA", 200),  # in the supervisor's region
        ("giamsat", "/scanner/held/19", 404),  # an area holds nothing
        ("buuta.donghy", "/scanner/held/BDVH-HOATRUNG", 200),  # his second office
    ],
)
def test_office_pages_are_scoped(
    as_user: Callable[[str], Browser], username: str, path: str, status: int
) -> None:
    assert as_user(username).client.get(path).status_code == status


def test_holdings_pages_need_a_login(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/scanner/held").status_code == 302
    assert client.get("/scanner/held/MC-TRANGXA").status_code == 302
