"""Vietnamese first, English second."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from babel.messages.pofile import read_po
from flask.testing import FlaskClient

from tests.conftest import Browser
from tests.web.catalogs import TRANSLATIONS


def test_every_message_has_a_vietnamese_translation() -> None:
    with (TRANSLATIONS / "vi" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh)
    untranslated = [m.id for m in catalog if m.id and not m.string]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert untranslated == []
    assert fuzzy == []


def test_the_catalogue_holds_every_message_of_the_template() -> None:
    with (TRANSLATIONS / "messages.pot").open("rb") as fh:
        template = {m.id for m in read_po(fh) if m.id}
    with (TRANSLATIONS / "vi" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        vi = {m.id for m in read_po(fh) if m.id}
    assert template <= vi, "run pybabel update after extracting"


def test_vietnamese_by_default_even_for_an_english_browser(client: FlaskClient) -> None:
    page = client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"})
    text = page.get_data(as_text=True)
    assert '<html lang="vi">' in text
    assert "Đăng nhập" in text and "Tên đăng nhập" in text


def test_english_after_switching(browser: Browser) -> None:
    response = browser.post("/language/en", {"next": "/login"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    text = browser.client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in text
    assert "Username" in text and "Tên đăng nhập" not in text
    browser.post("/language/vi", {"next": "/login"})
    assert "Tên đăng nhập" in browser.client.get("/login").get_data(as_text=True)


def test_an_unknown_language_changes_nothing(browser: Browser) -> None:
    browser.post("/language/fr", {"next": "/login"})
    assert '<html lang="vi">' in browser.client.get("/login").get_data(as_text=True)


def test_pages_after_login_are_vietnamese(as_user: Callable[[str], Browser]) -> None:
    b = as_user("canbo.trangxa")
    page = b.client.get("/dossiers/new").get_data(as_text=True)
    for words in ("Tiếp nhận hồ sơ", "Thành phần hồ sơ", "Bản chính", "Số niêm phong", "Lệ phí"):
        assert words in page


@pytest.mark.slow
def test_make_translations_compiles_the_catalogues() -> None:
    """`make run` serves what `make translations` compiled: a recipe that
    fails quietly would serve the pages in English."""
    import shutil
    import subprocess
    import time

    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    root = TRANSLATIONS.parents[1]
    started = time.time() - 1
    done = subprocess.run(["make", "-s", "translations"], cwd=root, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    for lang in ("vi", "en"):
        mo = TRANSLATIONS / lang / "LC_MESSAGES" / "messages.mo"
        assert mo.stat().st_mtime >= started, f"{mo} was not compiled"
