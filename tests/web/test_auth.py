"""Login, throttling, session rotation, logout, and where login sends you."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import DEMO_PASSWORD, Browser

WRONG = "Sai tên đăng nhập hoặc mật khẩu."


def test_login_with_the_right_password(browser: Browser) -> None:
    response = browser.login("canbo.trangxa")
    assert response.status_code == 302
    assert response.headers["Location"] == "/home"
    assert "Lương Thị Thu Hà" in browser.client.get("/home").get_data(as_text=True)


def test_username_is_not_case_sensitive(browser: Browser) -> None:
    assert browser.login("  CanBo.TrangXa ").status_code == 302


@pytest.mark.parametrize(
    ("username", "password"),
    [("canbo.trangxa", "wrong-password"), ("nobody.here", DEMO_PASSWORD)],
)
def test_wrong_login_gets_one_generic_message(
    browser: Browser, username: str, password: str
) -> None:
    response = browser.login(username, password)
    assert response.status_code == 401
    page = response.get_data(as_text=True)
    assert WRONG in page
    assert browser.client.get("/home").status_code == 302


def test_empty_login_form_is_a_bad_request(browser: Browser) -> None:
    assert browser.login("", "").status_code == 400


def test_five_failures_lock_the_account_even_for_the_right_password(
    app: Flask, as_user: Callable[[str], Browser]
) -> None:
    b = Browser(app.test_client())
    for _ in range(5):
        assert b.login("canbo.trangxa", "wrong-password").status_code == 401
    locked = b.login("canbo.trangxa")
    assert locked.status_code == 429
    assert "khóa" in locked.get_data(as_text=True)
    assert b.client.get("/home").status_code == 302
    # Another account is not affected.
    assert Browser(app.test_client()).login("canbo.trungvuong").status_code == 302


def test_failures_are_forgotten_after_a_good_login(app: Flask) -> None:
    b = Browser(app.test_client())
    for _ in range(4):
        assert b.login("canbo.trangxa", "wrong-password").status_code == 401
    assert b.login("canbo.trangxa").status_code == 302
    b2 = Browser(app.test_client())
    for _ in range(4):
        assert b2.login("canbo.trangxa", "wrong-password").status_code == 401
    assert b2.login("canbo.trangxa").status_code == 302


def test_session_is_rotated_at_login(client: FlaskClient, browser: Browser) -> None:
    with client.session_transaction() as sess:
        sess["planted"] = "by-an-attacker"
        sess["locale"] = "en"
    browser.login("canbo.trangxa")
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert sess["locale"] == "en"  # the language chosen before logging in stays
        assert sess["_user_id"]


def test_csrf_token_changes_at_login(client: FlaskClient, browser: Browser) -> None:
    with client.session_transaction() as sess:
        sess["csrf_token"] = "planted-token"
    browser.login("canbo.trangxa")
    with client.session_transaction() as sess:
        assert sess.get("csrf_token") != "planted-token"


def test_logout_is_post_only(as_user: Callable[[str], Browser]) -> None:
    b = as_user("canbo.trangxa")
    assert b.client.get("/logout").status_code == 405
    assert b.client.get("/home").status_code == 200
    response = b.post("/logout", {})
    assert response.status_code == 302
    assert b.client.get("/home").status_code == 302


@pytest.mark.parametrize(
    ("target", "lands_on"),
    [
        ("/dossiers/", "/dossiers/"),
        ("/dossiers/new?x=1", "/dossiers/new?x=1"),
        ("https://evil.example/", "/home"),
        ("//evil.example/", "/home"),
        ("/\\evil.example/", "/home"),
        ("/\t/evil.example/", "/home"),
        ("javascript:alert(1)", "/home"),
        ("", "/home"),
    ],
)
def test_next_goes_only_to_same_site_paths(
    client: FlaskClient, browser: Browser, target: str, lands_on: str
) -> None:
    from tests.conftest import csrf_token

    token = csrf_token(client)
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"csrf_token": token, "username": "canbo.trangxa", "password": DEMO_PASSWORD},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == lands_on


def test_passwords_are_stored_as_argon2id(app: Flask) -> None:
    with app.extensions["db_engine"].connect() as conn:
        hashes = conn.execute(sa.text('SELECT password_hash FROM "user"')).scalars().all()
    assert hashes
    assert all(h.startswith("$argon2id$") for h in hashes)
    assert not any(DEMO_PASSWORD in h for h in hashes)


def test_pages_need_login(client: FlaskClient) -> None:
    for path in ("/home", "/dossiers/", "/dossiers/1"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/login?next=")


def test_parallel_guesses_get_no_more_than_the_allowed_failures(app: Flask) -> None:
    """Attempts made at the same moment cannot all read the same failure count:
    with 5 allowed, 12 parallel wrong guesses give 5 wrong answers and 7 locks."""
    from concurrent.futures import ThreadPoolExecutor

    from postal_tracker.auth.service import authenticate
    from postal_tracker.db import transaction
    from postal_tracker.errors import Locked

    engine = app.extensions["db_engine"]

    def guess(n: int) -> str:
        try:
            with transaction(engine) as s:
                user = authenticate(
                    s, "canbo.trangxa", f"wrong-{n}", max_failures=5, window_seconds=900
                )
                assert user is None
                return "wrong"
        except Locked:
            return "locked"

    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(guess, range(12)))
    assert answers.count("wrong") == 5 and answers.count("locked") == 7
    with engine.connect() as conn:
        count = conn.execute(
            sa.text("SELECT failed_logins FROM \"user\" WHERE username = 'canbo.trangxa'")
        ).scalar_one()
    assert count == 5
