"""A pre-printed label scanned at intake becomes the item's tracking code."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from sqlmodel import select

from postal_tracker import db
from postal_tracker.custody.models import Item
from postal_tracker.slips.models import CodeReservation
from tests.conftest import Browser
from tests.web.conftest import error_for


@pytest.fixture
def reserved(app: Flask, tmp_path: object) -> list[str]:
    result = app.test_cli_runner().invoke(
        args=["labels", "print", "--count", "3", "--output", f"{tmp_path}/l.pdf"]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        return [r.tracking_code for r in db.session().scalars(select(CodeReservation))]


def test_label_is_used_once(
    app: Flask,
    as_user: Callable[[str], Browser],
    intake_form: Callable[..., dict[str, str]],
    reserved: list[str],
) -> None:
    officer = as_user("canbo.trangxa")
    saved = officer.post(
        "/dossiers/new", intake_form(label_code=reserved[0].lower()), csrf="/dossiers/new"
    )
    assert saved.status_code == 302, saved.get_data(as_text=True)
    with app.app_context():
        item = db.session().scalars(select(Item).where(Item.tracking_code == reserved[0])).one()
        row = (
            db.session()
            .scalars(select(CodeReservation).where(CodeReservation.tracking_code == reserved[0]))
            .one()
        )
        assert row.used_by_item_id == item.id and row.used_at is not None
    again = officer.post(
        "/dossiers/new", intake_form(label_code=reserved[0], save_anyway="y"), csrf="/dossiers/new"
    )
    assert again.status_code == 422
    assert error_for(again.get_data(as_text=True), "label_code")


@pytest.mark.parametrize("text", ["HC123", "not a code", "HC000000000VN"])
def test_bad_label_codes_get_a_message_and_write_nothing(
    app: Flask,
    as_user: Callable[[str], Browser],
    intake_form: Callable[..., dict[str, str]],
    row_counts: Callable[[], dict[str, int]],
    text: str,
) -> None:
    before = row_counts()
    officer = as_user("canbo.trangxa")
    r = officer.post(
        "/dossiers/new", intake_form(label_code=text, save_anyway="y"), csrf="/dossiers/new"
    )
    assert r.status_code == 422
    assert error_for(r.get_data(as_text=True), "label_code")
    assert row_counts() == before


def test_a_valid_code_that_was_never_reserved_is_refused(
    app: Flask,
    as_user: Callable[[str], Browser],
    intake_form: Callable[..., dict[str, str]],
) -> None:
    from postal_tracker import s10

    code = s10.make("HC", s10.next_issuable(77_000_000))
    officer = as_user("canbo.trangxa")
    r = officer.post(
        "/dossiers/new", intake_form(label_code=code, save_anyway="y"), csrf="/dossiers/new"
    )
    assert r.status_code == 422
    assert error_for(r.get_data(as_text=True), "label_code")
