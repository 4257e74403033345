"""Every refusal a service can raise reads in Vietnamese: each ``N_`` message id
in the code is in the catalogue, translated, and shown translated with its
parameters filled in."""

from __future__ import annotations

import re

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from flask import Flask

from postal_tracker.errors import NOT_FOUND, DomainError, NotFound
from postal_tracker.web.refusals import translated
from tests.web.catalogs import TRANSLATIONS

PACKAGE = TRANSLATIONS.parent
PLACEHOLDER = re.compile(r"%\((\w+)\)([sd])")


def _message_ids() -> list[str]:
    found = extract_from_dir(str(PACKAGE), method_map=[("**.py", "python")], keywords={"N_": None})
    return sorted({str(message) for _file, _line, message, _comments, _ctx in found})


MESSAGE_IDS = _message_ids()


def test_the_services_mark_their_messages() -> None:
    assert len(MESSAGE_IDS) > 70, "pybabel extract -k N_ finds the refusals"
    assert "Choose a day after today." in MESSAGE_IDS


def test_every_refusal_is_in_the_vietnamese_catalogue() -> None:
    with (TRANSLATIONS / "vi" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh)
    missing = [m for m in MESSAGE_IDS if catalog.get(m) is None or not catalog[m].string]
    assert missing == [], "run `make messages` and translate"


def test_every_refusal_is_shown_in_vietnamese(app: Flask) -> None:
    in_english = []
    with app.test_request_context("/", headers={"Accept-Language": "vi"}):
        for message in MESSAGE_IDS:
            params: dict[str, object] = {
                name: (7 if kind == "d" else "HC123456785VN")
                for name, kind in PLACEHOLDER.findall(message)
            }
            err = DomainError(message, field="x")
            # Set apart from the keywords: alert texts, N_-marked too, name a %(code)s.
            err.params = params
            shown = translated(err)
            if shown == err.untranslated() or not all(str(v) in shown for v in params.values()):
                in_english.append(shown)
    assert in_english == []


def test_an_uncaught_refusal_is_an_error_page_in_its_own_words(app: Flask) -> None:
    @app.get("/_refused")
    def refused() -> str:
        raise NotFound(NOT_FOUND)

    page = app.test_client().get("/_refused")
    assert page.status_code == 404
    assert "Không tìm thấy" in page.get_data(as_text=True)
