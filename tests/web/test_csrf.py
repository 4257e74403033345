"""Every form needs its CSRF token: without it the answer is a clear page and
nothing is written."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import Browser, csrf_token

EXPIRED = "This form has expired or was not sent from this site."


def test_login_without_token_is_refused_and_counts_no_failure(
    app: Flask, client: FlaskClient
) -> None:
    response = client.post("/login", data={"username": "canbo.trangxa", "password": "wrong-pass"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Biểu mẫu này đã hết hạn" in page
    assert "Traceback" not in page
    with app.extensions["db_engine"].connect() as conn:
        failures = conn.execute(
            sa.text("SELECT failed_logins FROM \"user\" WHERE username = 'canbo.trangxa'")
        ).scalar_one()
    assert failures == 0
    # And the right password without a token does not log in either.
    client.post("/login", data={"username": "canbo.trangxa", "password": "demo-pass-2026"})
    assert client.get("/home").status_code == 302


def test_intake_without_token_writes_nothing(
    as_user: Callable[[str], Browser],
    intake_form: Callable[..., dict[str, str]],
    row_counts: Callable[[], dict[str, int]],
) -> None:
    b = as_user("canbo.trangxa")
    before = row_counts()
    response = b.client.post("/dossiers/new", data=intake_form())
    assert response.status_code == 400
    assert "Biểu mẫu này đã hết hạn" in response.get_data(as_text=True)
    assert row_counts() == before


def test_intake_with_a_forged_token_writes_nothing(
    as_user: Callable[[str], Browser],
    intake_form: Callable[..., dict[str, str]],
    row_counts: Callable[[], dict[str, int]],
) -> None:
    b = as_user("canbo.trangxa")
    before = row_counts()
    response = b.client.post("/dossiers/new", data={**intake_form(), "csrf_token": "x" * 40})
    assert response.status_code == 400
    assert row_counts() == before


def test_logout_without_token_keeps_the_session(as_user: Callable[[str], Browser]) -> None:
    b = as_user("canbo.trangxa")
    assert b.client.post("/logout").status_code == 400
    assert b.client.get("/home").status_code == 200


def test_language_switch_without_token_changes_nothing(client: FlaskClient) -> None:
    response = client.post("/language/en", data={"next": "/login"})
    assert response.status_code == 400
    assert 'lang="vi"' in client.get("/login").get_data(as_text=True)


def test_token_from_another_session_is_refused(app: Flask, client: FlaskClient) -> None:
    token = csrf_token(app.test_client())
    response = client.post(
        "/login", data={"csrf_token": token, "username": "canbo.trangxa", "password": "x"}
    )
    assert response.status_code == 400


def test_csrf_page_in_english_after_switching(browser: Browser) -> None:
    assert browser.post("/language/en", {"next": "/login"}).status_code == 302
    response = browser.client.post("/logout")
    assert response.status_code == 400
    assert EXPIRED in response.get_data(as_text=True)
