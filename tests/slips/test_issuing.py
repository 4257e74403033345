"""Slips in the app: issued at intake, archived by SHA-256, printed again
byte for byte, copies marked, QR verified from the published keys, labels
reserved and attached at intake."""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

import pypdfium2 as pdfium
import zxingcpp
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import col, select

from postal_tracker import db
from postal_tracker.custody.models import CustodyEvent, Item
from postal_tracker.slips.keys import verify_with_published_keys
from postal_tracker.slips.models import CodeReservation, IssuedSlip
from postal_tracker.slips.token import token_from_scan
from tests.conftest import Browser


def _text(pdf: bytes) -> str:
    doc = pdfium.PdfDocument(pdf)
    try:
        return "\n".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    finally:
        doc.close()


def _qr_texts(pdf: bytes) -> list[str]:
    doc = pdfium.PdfDocument(pdf)
    try:
        image = doc[0].render(scale=200 / 72).to_pil()
    finally:
        doc.close()
    return [r.text for r in zxingcpp.read_barcodes(image)]


def _intake_slip(app: Flask, code_index: int = 0) -> IssuedSlip:
    with app.app_context():
        slips = (
            db.session()
            .scalars(
                select(IssuedSlip).where(IssuedSlip.kind == "intake").order_by(col(IssuedSlip.id))
            )
            .all()
        )
        return slips[code_index]


def test_demo_intakes_have_archived_slips_named_in_their_events(app: Flask) -> None:
    with app.app_context():
        session = db.session()
        for slip in session.scalars(select(IssuedSlip)):
            assert slip.sha256 == hashlib.sha256(slip.pdf).hexdigest()
            item = session.scalars(
                select(Item).where(Item.tracking_code == slip.tracking_code)
            ).one()
            accepted = session.scalars(
                select(CustodyEvent).where(CustodyEvent.item_id == item.id, CustodyEvent.seq == 1)
            ).one()
            assert accepted.data["slip_sha256"] == slip.sha256
            assert accepted.data["slip_id"] == slip.id


def test_print_again_gives_the_same_bytes_and_a_copy_is_marked(app: Flask, as_user: object) -> None:
    slip = _intake_slip(app)
    officer: Browser = as_user("canbo.trangxa")  # type: ignore[operator]
    first = officer.client.get(f"/slips/{slip.id}.pdf")
    again = officer.client.get(f"/slips/{slip.id}.pdf")
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    assert first.data == again.data == slip.pdf
    assert "BẢN SAO" not in _text(first.data)
    made = officer.post(f"/slips/{slip.id}/copy", {}, csrf="/home")
    assert made.status_code == 302
    copy = officer.client.get(made.headers["Location"])
    assert "BẢN SAO" in _text(copy.data)
    made_again = officer.post(f"/slips/{slip.id}/copy", {}, csrf="/home")
    assert made_again.headers["Location"] == made.headers["Location"]


def test_slips_outside_scope_are_404(app: Flask, as_user: object) -> None:
    slip = _intake_slip(app)  # taken in at Tràng Xá
    stranger: Browser = as_user("canbo.trungvuong")  # type: ignore[operator]
    assert stranger.client.get(f"/slips/{slip.id}.pdf").status_code == 404
    assert stranger.client.get("/slips/999999.pdf").status_code == 404
    assert stranger.post(f"/slips/{slip.id}/copy", {}, csrf="/home").status_code == 404


def test_qr_round_trip_through_the_published_keys(app: Flask, client: FlaskClient) -> None:
    slip = _intake_slip(app)
    texts = _qr_texts(slip.pdf)
    assert texts, "no QR code found on the slip"
    url = texts[0]
    assert re.fullmatch(r"HTTP://LOCALHOST/V/[A-Z2-7]{136}", url), url
    published = client.get("/api/v1/keys").get_json()
    verified = verify_with_published_keys(token_from_scan(url), published)
    assert verified.tracking_code == slip.tracking_code
    assert verified.slip_id == slip.id
    # The citizen's camera opens the verification page.
    page = client.get(url.removeprefix("HTTP://LOCALHOST"))
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "GENUINE" in body.upper()
    assert slip.tracking_code in body
    assert "0912 345 678" not in body and "Nguyễn Thị Phương Thảo" not in body  # masked
    assert "N. T. P. Thảo" in body


def test_altered_tokens_are_not_genuine(app: Flask, client: FlaskClient) -> None:
    slip = _intake_slip(app)
    token = token_from_scan(_qr_texts(slip.pdf)[0])
    flipped = token[:50] + ("A" if token[50] != "A" else "B") + token[51:]
    for bad in (flipped, token[:-1], "HELLO", token + "A"):
        page = client.get(f"/v/{bad}")
        assert page.status_code == 200
        assert "KHÔNG" in page.get_data(as_text=True).upper()  # "NOT GENUINE" in Vietnamese
        api = client.get(f"/api/v1/slips/verify/{bad}")
        assert api.status_code == 422 and api.get_json()["genuine"] is False
    ok = client.get(f"/api/v1/slips/verify/{token}")
    assert ok.status_code == 200 and ok.get_json()["tracking_code"] == slip.tracking_code


def test_a_slip_signed_before_a_rotation_still_verifies(app: Flask, client: FlaskClient) -> None:
    slip = _intake_slip(app)
    token = token_from_scan(_qr_texts(slip.pdf)[0])
    before = client.get("/api/v1/keys").get_json()
    result = app.test_cli_runner().invoke(args=["keys", "rotate", "--overlap-hours", "0"])
    assert result.exit_code == 0, result.output
    after = client.get("/api/v1/keys").get_json()
    assert len(after["keys"]) == len(before["keys"]) + 1
    assert client.get(f"/api/v1/slips/verify/{token}").status_code == 200
    assert verify_with_published_keys(token, after).slip_id == slip.id


def test_labels_print_reserves_codes_and_intake_attaches_one(
    app: Flask, tmp_path: Path, as_user: object
) -> None:
    out = tmp_path / "labels.pdf"
    result = app.test_cli_runner().invoke(
        args=["labels", "print", "--count", "30", "--output", str(out)]
    )
    assert result.exit_code == 0, result.output
    pdf = out.read_bytes()
    doc = pdfium.PdfDocument(io.BytesIO(pdf))
    pages = len(doc)
    doc.close()
    with app.app_context():
        codes = [r.tracking_code for r in db.session().scalars(select(CodeReservation))]
    assert len(codes) == 30 and pages >= 1
    text = _text(pdf)
    assert all(c[:2] in text for c in codes[:1])
    bad = app.test_cli_runner().invoke(
        args=["labels", "print", "--layout", "a6-slip", "--count", "1"]
    )
    assert bad.exit_code == 2 and "not a label layout" in bad.output
