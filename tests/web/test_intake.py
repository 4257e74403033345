"""Taking a dossier in through the page: one transaction on success; on any
bad field, its own message beside it, 422, and nothing written."""

from __future__ import annotations

import base64
import io
import time
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from PIL import Image, ImageDraw

from postal_tracker import s10
from postal_tracker.intake.forms import MAX_DOCUMENTS
from tests.conftest import Browser
from tests.web.conftest import document_row, error_for, translated

REQUIRED = "This field is required."
COUNT = "Enter a whole number from %(min)d to %(max)d."
MONEY = "Enter an amount in đồng: a whole number, 0 or more."
AGENCY = "Choose an agency from the list."
PHONE = "Enter a valid Vietnamese phone number, e.g. 0912 345 678."
ID_NUMBER = "An ID number has 12 digits (or 9 for an old ID card)."
PRINCIPAL = "Name the person who gave the authorisation."
SEAL = "A seal number has 3 to 32 letters, digits or dashes."
CODE = "Use letters, digits, dots, dashes or slashes."
NO_COPIES = "Count at least one original, certified copy or photocopy."
DELIVERY = "Choose how the result is returned."
ANY = {"min": 0, "max": 9999}
ONE_UP = {"min": 1, "max": 9999}
OFFICE = "Choose one of your offices."


def _post_intake(b: Browser, data: dict[str, str]) -> Any:
    return b.post("/dossiers/new", data, csrf="/dossiers/new")


@pytest.mark.parametrize("username", ["canbo.trangxa", "buuta.donghy"])
def test_intake_writes_dossier_documents_item_custody_and_event(
    app: Flask,
    as_user: Callable[[str], Browser],
    intake_form: Callable[..., dict[str, str]],
    unit_ids: dict[str, int],
    row_counts: Callable[[], dict[str, int]],
    username: str,
) -> None:
    office = "MC-TRANGXA" if username == "canbo.trangxa" else "BDVH-HOATRUNG"
    before = row_counts()
    b = as_user(username)
    form = intake_form(intake_unit_id=unit_ids[office], seal_number="nt-000123")
    response = _post_intake(b, form)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert "/dossiers/" in response.headers["Location"]
    assert row_counts() == {
        "dossier": before["dossier"] + 1,
        "dossier_document": before["dossier_document"] + 2,
        "item": before["item"] + 1,
        "custody_event": before["custody_event"] + 1,
    }
    with app.extensions["db_engine"].connect() as conn:
        user_id = conn.execute(
            sa.text('SELECT id FROM "user" WHERE username = :u'), {"u": username}
        ).scalar_one()
        dossier = conn.execute(sa.text("SELECT * FROM dossier ORDER BY id DESC")).mappings().first()
        assert dossier is not None
        assert dossier["sender_name"] == "Hoàng Thị Lụa"
        assert dossier["sender_phone"] == "+84912345679"
        assert dossier["seal_number"] == "NT-000123"
        assert dossier["fee_vnd"] == 100_000 and dossier["postage_vnd"] == 26_000
        assert dossier["intake_user_id"] == user_id
        assert dossier["intake_unit_id"] == unit_ids[office]
        # The result goes home, to the sender's address when no other is given.
        assert dossier["delivery_address"] == dossier["sender_address"]
        docs = conn.execute(
            sa.text(
                "SELECT position, name, originals, certified_copies, pages "
                "FROM dossier_document WHERE dossier_id = :d ORDER BY position"
            ),
            {"d": dossier["id"]},
        ).all()
        assert [tuple(d) for d in docs] == [
            (1, "Giấy đề nghị đăng ký hộ kinh doanh", 1, 0, 2),
            (2, "Căn cước công dân", 0, 1, 1),
        ]
        item = (
            conn.execute(sa.text("SELECT * FROM item WHERE dossier_id = :d"), {"d": dossier["id"]})
            .mappings()
            .one()
        )
        assert s10.validate(item["tracking_code"]) == item["tracking_code"]
        assert item["tracking_code"].startswith("HC") and item["tracking_code"].endswith("VN")
        assert item["custodian_user_id"] == user_id
        assert item["custodian_unit_id"] == unit_ids[office]
        assert item["phase"] == "accepted"
        event = (
            conn.execute(
                sa.text("SELECT * FROM custody_event WHERE item_id = :i"), {"i": item["id"]}
            )
            .mappings()
            .one()
        )
        assert event["kind"] == "accepted"
        assert event["actor_user_id"] == user_id
        assert event["device_utc_offset_min"] == 420
    page = b.client.get(response.headers["Location"]).get_data(as_text=True)
    assert item["tracking_code"] in page


def test_resubmitting_the_same_form_saves_once(
    as_user: Callable[[str], Browser],
    intake_form: Callable[..., dict[str, str]],
    row_counts: Callable[[], dict[str, int]],
) -> None:
    b = as_user("canbo.trangxa")
    data = intake_form()
    before = row_counts()
    first = _post_intake(b, data)
    second = _post_intake(b, data)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert row_counts()["dossier"] == before["dossier"] + 1
    assert row_counts()["custody_event"] == before["custody_event"] + 1


def test_a_client_id_used_by_someone_else_is_refused(
    as_user: Callable[[str], Browser],
    intake_form: Callable[..., dict[str, str]],
    unit_ids: dict[str, int],
    row_counts: Callable[[], dict[str, int]],
) -> None:
    data = intake_form()
    assert _post_intake(as_user("canbo.trangxa"), data).status_code == 302
    before = row_counts()
    other = intake_form(client_id=data["client_id"], intake_unit_id=unit_ids["BD-DONGHY"])
    response = _post_intake(as_user("buuta.donghy"), other)
    assert response.status_code == 422
    assert row_counts() == before


def test_a_failure_half_way_writes_nothing(
    app: Flask,
    as_user: Callable[[str], Browser],
    intake_form: Callable[..., dict[str, str]],
    row_counts: Callable[[], dict[str, int]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    b = as_user("canbo.trangxa")
    before = row_counts()

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    # The last step of an intake fails after the dossier, documents and item
    # were flushed: the request must not commit any of them.
    monkeypatch.setattr("postal_tracker.intake.service.ledger.record", broken)
    with pytest.raises(RuntimeError):
        _post_intake(b, intake_form())
    assert row_counts() == before


# field id, overrides, English message, its variables
def png_data_url(inked: bool) -> str:
    """A canvas drawing as the page sends it: a PNG data URL, blank or signed."""
    image = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    if inked:
        ImageDraw.Draw(image).line([(20, 150), (200, 40), (380, 160), (560, 50)], "black", 4)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


UNREADABLE = "The signature could not be read; clear it and ask for it again."
BAD_INPUT: list[tuple[str, dict[str, Any], str, dict[str, Any]]] = [
    # The on-screen signature is optional, but what is sent must be a real drawing.
    (
        "sender_signature",
        {"sender_signature": "data:image/png;base64,!!!"},
        UNREADABLE,
        {},
    ),
    ("sender_signature", {"sender_signature": "javascript:alert(1)"}, UNREADABLE, {}),
    ("sender_signature", {"sender_signature": "png:blank"}, UNREADABLE, {}),
    ("sender_name", {"sender_name": ""}, REQUIRED, {}),
    ("sender_name", {"sender_name": "   "}, REQUIRED, {}),
    ("sender_name", {"sender_name": None}, REQUIRED, {}),
    ("sender_phone", {"sender_phone": ""}, REQUIRED, {}),
    ("sender_address", {"sender_address": ""}, REQUIRED, {}),
    ("procedure_code", {"procedure_code": ""}, REQUIRED, {}),
    ("procedure_name", {"procedure_name": ""}, REQUIRED, {}),
    ("seal_number", {"seal_number": ""}, REQUIRED, {}),
    (
        "sender_phone",
        {"sender_phone": "12345"},
        "Enter a valid Vietnamese phone number, e.g. 0912 345 678.",
        {},
    ),
    (
        "sender_phone",
        {"sender_phone": "0912 345"},
        "Enter a valid Vietnamese phone number, e.g. 0912 345 678.",
        {},
    ),
    (
        "sender_phone",
        {"sender_phone": "+1 202 555 0143"},
        "Enter a valid Vietnamese phone number, e.g. 0912 345 678.",
        {},
    ),
    (
        "sender_phone",
        {"sender_phone": "số điện thoại"},
        "Enter a valid Vietnamese phone number, e.g. 0912 345 678.",
        {},
    ),
    (
        "sender_id_number",
        {"sender_id_number": "12345"},
        "An ID number has 12 digits (or 9 for an old ID card).",
        {},
    ),
    (
        "sender_id_number",
        {"sender_id_number": "01918800012A"},
        "An ID number has 12 digits (or 9 for an old ID card).",
        {},
    ),
    (
        "principal_name",
        {"authorised": "y", "principal_name": ""},
        "Name the person who gave the authorisation.",
        {},
    ),
    (
        "seal_number",
        {"seal_number": "N 1"},
        "A seal number has 3 to 32 letters, digits or dashes.",
        {},
    ),
    (
        "seal_number",
        {"seal_number": "NT"},
        "A seal number has 3 to 32 letters, digits or dashes.",
        {},
    ),
    (
        "procedure_code",
        {"procedure_code": "1.001 612"},
        "Use letters, digits, dots, dashes or slashes.",
        {},
    ),
    (
        "procedure_code",
        {"procedure_code": "<b>1</b>"},
        "Use letters, digits, dots, dashes or slashes.",
        {},
    ),
    ("agency_id", {"agency_id": "0"}, AGENCY, {}),
    ("agency_id", {"agency_id": "99999"}, AGENCY, {}),
    ("agency_id", {"agency_id": "SCT"}, AGENCY, {}),
    ("agency_id", {"agency_id": "unit:MC-TRANGXA"}, AGENCY, {}),
    ("intake_unit_id", {"intake_unit_id": "unit:MC-TRUNGVUONG"}, OFFICE, {}),
    ("intake_unit_id", {"intake_unit_id": "99999"}, OFFICE, {}),
    ("documents-1-name", document_row(1, ""), REQUIRED, {}),
    ("documents-0-originals", document_row(0, originals=-1), COUNT, ANY),
    ("documents-0-photocopies", document_row(0, photocopies=-3), COUNT, ANY),
    (
        "documents-0-originals",
        document_row(0, originals=0, certified_copies=0, photocopies=0),
        "Count at least one original, certified copy or photocopy.",
        {},
    ),
    ("documents-0-pages", document_row(0, pages=0), COUNT, ONE_UP),
    ("documents-0-pages", document_row(0, pages="mười"), COUNT, ONE_UP),
    (
        "documents-1-certified_copies",
        document_row(1, certified_copies="1.5"),
        COUNT,
        {"min": 0, "max": 9999},
    ),
    ("documents-1-pages", document_row(1, pages=""), COUNT, ONE_UP),
    ("fee_vnd", {"fee_vnd": "-1000"}, MONEY, {}),
    ("postage_vnd", {"postage_vnd": "-1"}, MONEY, {}),
    ("postage_vnd", {"postage_vnd": "26.000đ"}, MONEY, {}),
    (
        "delivery_preference",
        {"delivery_preference": "drone"},
        "Choose how the result is returned.",
        {},
    ),
    ("sender_name", {"sender_name": "A" * 201}, "Use at most %(max)d characters.", {"max": 200}),
]


def _resolve(overrides: dict[str, Any], unit_ids: dict[str, int]) -> dict[str, Any]:
    """Replace ``unit:CODE`` with that demo unit's id, ``png:blank`` with an
    unsigned canvas."""

    def value(v: Any) -> Any:
        if isinstance(v, str) and v.startswith("unit:"):
            return unit_ids[v[5:]]
        return png_data_url(inked=False) if v == "png:blank" else v

    return {k: value(v) for k, v in overrides.items()}


def _case_id(case: tuple[str, dict[str, Any], str, dict[str, Any]]) -> str:
    field, overrides, _, _ = case
    return f"{field}={next(iter(overrides.values()))!r}"[:60]


@pytest.fixture(params=BAD_INPUT, ids=[_case_id(c) for c in BAD_INPUT])
def bad_input(request: pytest.FixtureRequest) -> tuple[str, dict[str, Any], str, dict[str, Any]]:
    case: tuple[str, dict[str, Any], str, dict[str, Any]] = request.param
    return case


def test_bad_field_gets_its_vietnamese_message_and_nothing_is_written(
    app: Flask,
    as_user: Callable[[str], Browser],
    intake_form: Callable[..., dict[str, str]],
    unit_ids: dict[str, int],
    row_counts: Callable[[], dict[str, int]],
    bad_input: tuple[str, dict[str, Any], str, dict[str, Any]],
) -> None:
    field, overrides, message, variables = bad_input
    b = as_user("canbo.trangxa")
    before = row_counts()
    response = _post_intake(b, intake_form(**_resolve(overrides, unit_ids)))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    expected = translated(app, "vi", message, **variables)
    assert expected != message % variables if variables else expected != message
    assert error_for(page, field) == expected
    assert row_counts() == before


def test_bad_field_message_is_english_after_switching(
    app: Flask,
    as_user: Callable[[str], Browser],
    intake_form: Callable[..., dict[str, str]],
    unit_ids: dict[str, int],
    row_counts: Callable[[], dict[str, int]],
    bad_input: tuple[str, dict[str, Any], str, dict[str, Any]],
) -> None:
    field, overrides, message, variables = bad_input
    b = as_user("canbo.trangxa")
    assert b.post("/language/en", {"next": "/dossiers/new"}).status_code == 302
    before = row_counts()
    response = _post_intake(b, intake_form(**_resolve(overrides, unit_ids)))
    assert response.status_code == 422
    assert error_for(response.get_data(as_text=True), field) == message % variables
    assert row_counts() == before


def test_only_the_bad_fields_get_messages(
    as_user: Callable[[str], Browser],
    intake_form: Callable[..., dict[str, str]],
) -> None:
    b = as_user("canbo.trangxa")
    page = _post_intake(b, intake_form(sender_phone="123", seal_number="")).get_data(as_text=True)
    assert error_for(page, "sender_phone") and error_for(page, "seal_number")
    for other in ("sender_name", "sender_address", "agency_id", "documents-0-name", "fee_vnd"):
        assert error_for(page, other) is None, other
    # What was typed stays in the form.
    assert "Hoàng Thị Lụa" in page


def test_more_documents_than_allowed_are_refused(
    app: Flask,
    as_user: Callable[[str], Browser],
    intake_form: Callable[..., dict[str, str]],
    row_counts: Callable[[], dict[str, int]],
) -> None:
    rows: dict[str, str] = {}
    for i in range(MAX_DOCUMENTS + 1):
        rows.update(document_row(i, f"Giấy tờ {i + 1}"))
    before = row_counts()
    response = _post_intake(as_user("canbo.trangxa"), intake_form(**rows))
    assert response.status_code == 422
    expected = translated(
        app, "vi", "List at most %(max)d documents in one dossier.", max=MAX_DOCUMENTS
    )
    assert error_for(response.get_data(as_text=True), "documents") == expected
    assert row_counts() == before


def test_exactly_the_maximum_documents_is_fine(
    as_user: Callable[[str], Browser],
    intake_form: Callable[..., dict[str, str]],
    row_counts: Callable[[], dict[str, int]],
) -> None:
    rows: dict[str, str] = {}
    for i in range(MAX_DOCUMENTS):
        rows.update(document_row(i, f"Giấy tờ {i + 1}"))
    before = row_counts()
    response = _post_intake(as_user("canbo.trangxa"), intake_form(**rows))
    assert response.status_code == 302
    assert row_counts()["dossier_document"] == before["dossier_document"] + MAX_DOCUMENTS


def test_authorised_sender_keeps_the_principal(
    app: Flask,
    as_user: Callable[[str], Browser],
    intake_form: Callable[..., dict[str, str]],
) -> None:
    b = as_user("canbo.trangxa")
    response = _post_intake(b, intake_form(authorised="y", principal_name="Hoàng Văn Tám"))
    assert response.status_code == 302
    page = b.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Hoàng Văn Tám" in page


@pytest.mark.parametrize("username", ["gdv.tinh", "chuyenvien.sct", "giamsat", "quantri"])
def test_roles_that_may_not_take_in_get_404(
    as_user: Callable[[str], Browser],
    intake_form: Callable[..., dict[str, str]],
    row_counts: Callable[[], dict[str, int]],
    username: str,
) -> None:
    b = as_user(username)
    assert b.client.get("/dossiers/new").status_code == 404
    before = row_counts()
    assert b.post("/dossiers/new", intake_form()).status_code == 404
    assert row_counts() == before
    assert 'href="/dossiers/new"' not in b.client.get("/home").get_data(as_text=True)


def test_intake_needs_login(client: Any) -> None:
    response = client.get("/dossiers/new")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_a_signature_drawn_on_screen_is_printed_on_the_slip(
    app: Flask, as_user: Callable[[str], Browser], intake_form: Callable[..., dict[str, str]]
) -> None:
    from sqlmodel import select

    from postal_tracker import db
    from postal_tracker.slips.models import IssuedSlip
    from tests.slips.pdfcheck import image_count

    b = as_user("canbo.trangxa")
    unsigned = _post_intake(b, intake_form())
    signed = _post_intake(
        b, intake_form(sender_signature=png_data_url(inked=True), save_anyway="y")
    )
    assert unsigned.status_code == signed.status_code == 302
    with app.app_context():
        slips = db.session().scalars(
            select(IssuedSlip).where(IssuedSlip.kind == "intake").order_by(IssuedSlip.id.desc())  # type: ignore[union-attr]
        )
        last, before = slips.all()[:2]
    assert last.payload["sender"]["signature_png"] and not before.payload["sender"]["signature_png"]
    assert image_count(last.pdf) == image_count(before.pdf) + 1


SEAL_TAKEN = "This seal number is already used at this office; check the seal."


def test_a_seal_number_is_used_once_per_office(
    app: Flask,
    as_user: Callable[[str], Browser],
    intake_form: Callable[..., dict[str, str]],
    unit_ids: dict[str, int],
    row_counts: Callable[[], dict[str, int]],
) -> None:
    b = as_user("canbo.trangxa")
    assert _post_intake(b, intake_form(seal_number="TX-555")).status_code == 302
    before = row_counts()
    # Another sender, the same seal (typed in lower case): refused on the seal field.
    answer = _post_intake(b, intake_form(seal_number="tx-555", sender_phone="0913 000 111"))
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert error_for(page, "seal_number") == translated(app, "vi", SEAL_TAKEN)
    assert translated(app, "vi", SEAL_TAKEN) != SEAL_TAKEN  # said in Vietnamese
    assert row_counts() == before
    # The same seal at another office is another seal.
    other = as_user("buuta.donghy")
    form = intake_form(seal_number="TX-555", intake_unit_id=unit_ids["BDVH-HOATRUNG"])
    assert _post_intake(other, form).status_code == 302


def test_two_saves_racing_for_one_seal_the_index_decides(app: Flask) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from sqlalchemy.orm import Session

    from postal_tracker.errors import DomainError
    from tests.custody.helpers import new_item

    engine = app.extensions["db_engine"]
    with Session(engine) as first:
        new_item(first, seal="RACE-1")  # inserted, not committed: the index row is held

        def second() -> str:
            with Session(engine) as s:
                try:
                    new_item(s, seal="RACE-1")
                    s.commit()
                    return "saved"
                except DomainError as exc:
                    s.rollback()
                    return f"{exc.field}:{exc.code}"

        with ThreadPoolExecutor(1) as pool:
            outcome = pool.submit(second)
            time.sleep(0.5)  # the second save has passed any check and waits on the index
            first.commit()
            assert outcome.result(timeout=30) == "seal_number:seal_taken"
    with engine.connect() as conn:
        seals = conn.execute(
            sa.text("SELECT count(*) FROM dossier WHERE seal_number = 'RACE-1'")
        ).scalar_one()
    assert seals == 1


TWIN = (
    "Dossier %(tracking_code)s was taken in here at %(time)s for the same phone number, "
    "procedure and agency. If this is another dossier, tick “Save anyway”."
)


def test_a_dossier_like_one_just_taken_in_is_saved_only_when_confirmed(
    app: Flask,
    as_user: Callable[[str], Browser],
    intake_form: Callable[..., dict[str, str]],
    row_counts: Callable[[], dict[str, int]],
) -> None:
    b = as_user("canbo.trangxa")
    assert _post_intake(b, intake_form()).status_code == 302
    with app.extensions["db_engine"].connect() as conn:
        code, created = conn.execute(
            sa.text(
                "SELECT i.tracking_code, d.created_at FROM dossier d "
                "JOIN item i ON i.dossier_id = d.id ORDER BY d.id DESC"
            )
        ).first() or ("", "")
    before = row_counts()
    # Another form (its own client id and seal), same phone (typed otherwise),
    # procedure and agency: a warning naming the first, and nothing saved.
    again = intake_form(sender_phone="+84 912 345 679")
    answer = _post_intake(b, again)
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    warning = error_for(page, "save_anyway")
    assert warning is not None and code in warning
    assert warning.startswith("Hồ sơ " + code)  # said in Vietnamese
    assert 'name="save_anyway"' in page
    assert row_counts() == before
    # Confirmed: saved.
    assert _post_intake(b, {**again, "save_anyway": "y"}).status_code == 302
    assert row_counts()["dossier"] == before["dossier"] + 1
    # Another procedure is another dossier: no warning.
    assert _post_intake(b, intake_form(procedure_code="2.000633")).status_code == 302
    assert created  # the time shown is the first one's


def test_the_warning_names_the_vietnam_time_and_lasts_an_hour(app: Flask) -> None:
    from dataclasses import replace
    from datetime import UTC, datetime, timedelta

    from sqlalchemy.orm import Session

    from postal_tracker.clock import VN_TZ
    from postal_tracker.intake.models import Dossier
    from postal_tracker.intake.service import recent_twin
    from tests.custody.helpers import intake_record, new_item

    with Session(app.extensions["db_engine"]) as s:
        item = new_item(s)
        dossier = s.get(Dossier, item.dossier_id)
        assert dossier is not None
        dossier.procedure_code = "9.999999"  # no other dossier of the tests is like it
        # Typed otherwise, the same phone number.
        record = replace(intake_record(s), sender_phone="0912 345 678", procedure_code="9.999999")
        assert dossier.sender_phone == "+84912345678"
        taken = datetime.now(UTC) - timedelta(minutes=59)
        dossier.created_at = taken
        s.flush()
        warning = recent_twin(s, record)
        assert warning is not None
        assert warning.params["tracking_code"] == item.tracking_code
        assert warning.params["time"] == taken.astimezone(VN_TZ).strftime("%H:%M %d/%m/%Y")
        assert recent_twin(s, replace(record, agency_id=dossier.agency_id + 1000)) is None
        dossier.created_at = datetime.now(UTC) - timedelta(minutes=61)
        s.flush()
        assert recent_twin(s, record) is None
