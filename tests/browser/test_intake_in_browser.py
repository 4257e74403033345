"""Taking a dossier in, as an officer does it in a browser."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask

from tests.conftest import DEMO_PASSWORD
from tests.slips.pdfcheck import image_count

S10 = re.compile(r"[A-Z]{2}\d{9}VN")
SCREENSHOT = Path("/tmp/postal-tracker-intake-390x844.png")


def _log_in(page: Any, username: str = "canbo.trangxa") -> None:
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(re.compile(r"/home$"))


def _fill_everything_but_documents(page: Any, **skip: bool) -> None:
    fields = {
        "#sender_name": "Hà Thị Mến",
        "#sender_phone": "0986 111 222",
        "#sender_address": "Xóm Khuôn Vạc, xã Tràng Xá, huyện Võ Nhai",
        "#sender_id_number": "019190000456",
        "#principal_name": "Hà Văn Quý",
        "#procedure_code": "1.001612",
        "#procedure_name": "Đăng ký hộ kinh doanh",
        "#procedure_field": "Thành lập và hoạt động của hộ kinh doanh",
        "#fee_vnd": "100000",
        "#postage_vnd": "26000",
        "#seal_number": "NT-778899",
        "#delivery_address": "Nhà văn hóa xóm Khuôn Vạc",
        "#note": "Gọi trước 30 phút",
    }
    for selector, value in fields.items():
        if not skip.get(selector.lstrip("#")):
            page.fill(selector, value)
    page.check("#authorised")
    page.select_option("#agency_id", label="Sở Công Thương")
    page.check("input[name=delivery_preference][value=home]")


def _fill_document(
    page: Any, index: int, name: str, originals: str, copies: str, pages: str
) -> None:
    page.fill(f"#documents-{index}-name", name)
    page.fill(f"#documents-{index}-originals", originals)
    page.fill(f"#documents-{index}-certified_copies", copies)
    page.fill(f"#documents-{index}-pages", pages)


def test_take_in_a_dossier(app: Flask, page: Any) -> None:
    _log_in(page)
    page.goto("/dossiers/new")
    _fill_everything_but_documents(page)
    _fill_document(page, 0, "Giấy đề nghị đăng ký hộ kinh doanh", "1", "0", "2")
    page.click("#add-doc")
    page.click("#add-doc")
    assert page.locator(".doc-row").count() == 3
    _fill_document(page, 1, "Bản nháp sẽ bị xóa", "1", "0", "1")
    _fill_document(page, 2, "Căn cước công dân", "0", "1", "1")
    page.locator(".doc-row").nth(1).locator(".remove-doc").click()
    assert page.locator(".doc-row").count() == 2
    # The rows were renumbered: the last one is now row 1.
    assert page.input_value("#documents-1-name") == "Căn cước công dân"
    # The sender signs on screen too, with a finger (here the mouse).
    pad = page.locator("#sender-signature-pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + 60)
    page.mouse.down()
    for step in range(1, 10):
        page.mouse.move(box["x"] + 20 + step * 25, box["y"] + 60 + (-1) ** step * 20)
    page.mouse.up()
    assert page.input_value("#sender_signature").startswith("data:image/png;base64,")
    page.click("#intake button[type=submit]")
    page.wait_for_url(re.compile(r"/dossiers/\d+$"))

    heading = page.inner_text("h1")
    code = S10.search(heading)
    assert code, heading
    assert page.locator("ol.timeline li.kind-accepted").count() == 1
    assert "Đã tiếp nhận và niêm phong" in page.inner_text("ol.timeline")
    assert "Hà Văn Quý" in page.content()
    dossier_id = int(page.url.rsplit("/", 1)[1])
    with app.extensions["db_engine"].connect() as conn:
        names = (
            conn.execute(
                sa.text(
                    "SELECT name FROM dossier_document WHERE dossier_id = :d ORDER BY position"
                ),
                {"d": dossier_id},
            )
            .scalars()
            .all()
        )
        device_offset = conn.execute(
            sa.text(
                "SELECT e.device_utc_offset_min FROM custody_event e "
                "JOIN item i ON i.id = e.item_id WHERE i.tracking_code = :c"
            ),
            {"c": code.group(0)},
        ).scalar_one()
        slip_pdf = conn.execute(
            sa.text("SELECT pdf FROM issued_slip WHERE dossier_id = :d"), {"d": dossier_id}
        ).scalar_one()
    assert names == ["Giấy đề nghị đăng ký hộ kinh doanh", "Căn cước công dân"]
    assert isinstance(device_offset, int)
    assert image_count(slip_pdf) == 1  # the signature, printed on the slip


def test_an_empty_required_field_shows_its_message_beside_it(page: Any) -> None:
    _log_in(page)
    page.goto("/dossiers/new")
    _fill_everything_but_documents(page, sender_name=True)
    _fill_document(page, 0, "Giấy đề nghị", "1", "0", "1")
    with page.expect_response(re.compile(r"/dossiers/new$")) as answer:
        page.click("#intake button[type=submit]")
    assert answer.value.status == 422
    assert page.inner_text("#sender_name-error") == "Vui lòng nhập thông tin này."
    assert page.get_attribute("#sender_name", "aria-invalid") == "true"
    # What was typed is still there.
    assert page.input_value("#sender_phone") == "0986 111 222"
    assert page.locator(".field .error").count() == 1


def test_intake_page_fits_a_phone(chromium: Any, live_server: str) -> None:
    context = chromium.new_context(
        base_url=live_server,
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    page = context.new_page()
    try:
        _log_in(page)
        page.goto("/dossiers/new")
        page.screenshot(path=str(SCREENSHOT), full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= 390, f"the page is {overflow}px wide on a 390px phone"
        for selector in ("#sender_name", "#agency_id", "#documents-0-name", "#add-doc"):
            box = page.locator(selector).bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 390, selector
            assert box["height"] >= 40, f"{selector} is too small to tap"
    finally:
        context.close()


def _dossier_count(app: Flask) -> int:
    with app.extensions["db_engine"].connect() as conn:
        return int(conn.execute(sa.text("SELECT count(*) FROM dossier")).scalar_one())


def test_back_after_saving_and_saving_again_makes_no_second_dossier(app: Flask, page: Any) -> None:
    _log_in(page)
    before = _dossier_count(app)
    page.goto("/dossiers/new")
    _fill_everything_but_documents(page)
    _fill_document(page, 0, "Giấy đề nghị", "1", "0", "1")
    page.click("#intake button[type=submit]")
    page.wait_for_url(re.compile(r"/dossiers/\d+$"))
    first = page.url
    page.go_back()
    page.wait_for_url(re.compile(r"/dossiers/new$"))
    # Whatever the browser restored, the form is sent again as it stands.
    _fill_everything_but_documents(page)
    _fill_document(page, 0, "Giấy đề nghị", "1", "0", "1")
    page.click("#intake button[type=submit]")
    page.wait_for_url(re.compile(r"/dossiers/\d+$"))
    assert page.url == first
    assert _dossier_count(app) == before + 1
    # A reload of the form keeps its client id too.
    page.go_back()
    page.wait_for_url(re.compile(r"/dossiers/new$"))
    kept = page.input_value("[name=client_id]")
    page.reload()
    assert page.input_value("[name=client_id]") == kept
    # A new intake (not Back, not reload) gets a new client id: a new dossier.
    page.goto("/home")
    page.goto("/dossiers/new")
    assert page.input_value("[name=client_id]") != kept
