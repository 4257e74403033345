"""The one engine every paper is drawn with: it refuses what cannot fit, and
the papers that run down the page (run list, delivery slip) are deterministic
and continue over pages with their table header repeated."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from reportlab.platypus import Flowable, Spacer

from postal_tracker.delivery.models import DeliveryKind, DeliveryStatus
from postal_tracker.delivery.queries import Stop
from postal_tracker.delivery.run_list_pdf import SlipData, render_delivery_slip, render_run_list
from postal_tracker.slips.layouts import Box, Layout, LayoutError
from postal_tracker.slips.paper import MM, new_canvas
from tests.slips.pdfcheck import image_count, page_count, signature_png, text_of


def test_a_block_taller_than_an_empty_body_is_refused(layouts: dict[str, Layout]) -> None:
    paper = new_canvas(layouts["a6-slip"].page, "test")
    body = Box(5, 43, 95, 76)
    too_tall: list[Flowable] = [Spacer(10 * MM, 80 * MM)]
    with pytest.raises(LayoutError, match="does not fit its 95 x 76 mm box"):
        paper.flow(too_tall, body)
    story: list[Flowable] = [Spacer(10 * MM, 50 * MM), Spacer(10 * MM, 50 * MM)]
    paper.flow(story, body)
    assert len(story) == 1  # the second waits for the next page


def test_text_outside_its_box_is_reported(layouts: dict[str, Layout]) -> None:
    paper = new_canvas(layouts["a6-slip"].page, "test")
    paper.page_count("Trang 1/", Box(5, 139, 5, 4), 5.5)  # 5 mm cannot hold it
    assert paper.finish(page_count_size=5.5).overflows


def stops(count: int) -> list[Stop]:
    return [
        Stop(
            delivery_id=n,
            tracking_code="HC000000014VN",
            kind=DeliveryKind.HOME if n % 2 else DeliveryKind.PICKUP,
            status=DeliveryStatus.SCHEDULED,
            attempt=1,
            name="Lâm Văn Sùng <b>&",
            phone="09xx xxx 678",
            address="Xóm Cây Thị, thôn Tràng Xá",
            commune="Tràng Xá",
            place="Bưu điện văn hóa xã",
            window_start=time(8),
            window_end=time(10),
            in_hand=True,
            confirmed=True,
        )
        for n in range(count)
    ]


def test_the_run_list_continues_with_its_header() -> None:
    pdf = render_run_list("Võ Văn Hải", date(2026, 12, 4), stops(60))
    assert pdf == render_run_list("Võ Văn Hải", date(2026, 12, 4), stops(60))
    pages = page_count(pdf)
    assert pages > 1
    text = text_of(pdf)
    assert text.count("Người nhận, địa chỉ") == pages  # the header on every page
    assert "Lâm Văn Sùng <b>&" in text and f"Trang {pages}" in text


def test_the_delivery_slip_is_deterministic_with_its_signature() -> None:
    data = SlipData(
        delivery_id=5,
        tracking_code="HC000000014VN",
        procedure="Cấp Giấy phép bán lẻ sản phẩm rượu",
        recipient_name="Lâm Văn Sùng",
        relation="Bản thân",
        authorisation_ref="",
        id_checked=True,
        originals_returned=False,
        originals_note="",
        worker_name="Võ Văn Hải",
        delivered_at=datetime(2026, 12, 4, 9, 30),
        signature_sha256="ab" * 32,
        photo_sha256="",
        signature_png=signature_png(),
    )
    pdf = render_delivery_slip(data)
    assert pdf == render_delivery_slip(data)
    assert "HC 0000 0001 4 VN" in text_of(pdf) and "ab" * 32 in text_of(pdf)
    assert image_count(pdf) == 1
