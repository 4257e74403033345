"""Rendered slips: a camera reads back a genuine QR, the text is exact
Vietnamese, nothing is drawn outside its page, and the bytes never vary."""

from __future__ import annotations

import hashlib
import json
import pickle
import subprocess
import sys
import unicodedata
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from postal_tracker.slips.fonts import FontFiles, FontNotFound
from postal_tracker.slips.handover_slip import render_handover_slip
from postal_tracker.slips.intake_slip import render_intake_slip
from postal_tracker.slips.keys import KeyRing, verify_with_published_keys
from postal_tracker.slips.label_sheet import render_labels
from postal_tracker.slips.layouts import MIN_QR_SYMBOL_MM, Layout, LayoutError
from postal_tracker.slips.model import (
    DocumentLine,
    HandoverSlipData,
    IntakeSlipData,
    LabelData,
    Party,
)
from postal_tracker.slips.paper import Rendered
from postal_tracker.slips.strings import STRINGS
from postal_tracker.slips.token import token_from_scan
from tests.slips.pdfcheck import page_count, qr_texts, signature_png, text_of

SLIP_LAYOUTS = ["a4-slip", "a6-slip", "thermal-100x150"]
LABEL_LAYOUTS = ["a4-label-sheet", "thermal-100x150"]
NAMES = ["Nguyễn Thị Phương Thảo", "Đỗ Thị Thu Nga", "Hóa Trung", "Đồng Hỷ"]


def verify_scan(scanned: str, ring: KeyRing) -> str:
    """What a verifier with only the published JSON learns from a scan."""
    keys = json.loads(json.dumps(ring.public_keys_json()))
    return verify_with_published_keys(token_from_scan(scanned), keys).tracking_code


def assert_inside(rendered: Rendered, layout: Layout) -> None:
    assert rendered.overflows == ()
    printable = layout.page.printable
    outside = [d for d in rendered.drawn if not printable.contains(d.box)]
    assert outside == []
    assert {d.page for d in rendered.drawn} == set(range(1, rendered.pages + 1))


@pytest.mark.parametrize("name", SLIP_LAYOUTS)
@pytest.mark.parametrize("dpi", [150, 200])
def test_a_printed_intake_slip_scans_and_verifies(
    layouts: dict[str, Layout], name: str, dpi: int, intake_data: IntakeSlipData, keyring: KeyRing
) -> None:
    rendered = render_intake_slip(intake_data, layouts[name])
    for page in range(page_count(rendered.pdf)):
        scanned = qr_texts(rendered.pdf, page, dpi)
        assert scanned  # A4 has both parts on one page, so two symbols
        assert {verify_scan(s, keyring) for s in scanned} == {intake_data.tracking_code}


@pytest.mark.parametrize("name", SLIP_LAYOUTS)
def test_a_printed_handover_slip_scans_and_verifies(
    layouts: dict[str, Layout],
    name: str,
    make_handover: Callable[[int], HandoverSlipData],
    keyring: KeyRing,
) -> None:
    data = make_handover(3)
    [scanned] = qr_texts(render_handover_slip(data, layouts[name]).pdf)
    assert verify_scan(scanned, keyring) == data.reference


@pytest.mark.parametrize("name", LABEL_LAYOUTS)
def test_printed_labels_scan_and_verify(
    layouts: dict[str, Layout],
    name: str,
    make_labels: Callable[[int], list[LabelData]],
    keyring: KeyRing,
) -> None:
    labels = make_labels(4)
    rendered = render_labels(labels, layouts[name])
    scanned = [text for page in range(rendered.pages) for text in qr_texts(rendered.pdf, page)]
    assert sorted(verify_scan(s, keyring) for s in scanned) == sorted(
        label.tracking_code for label in labels
    )


@pytest.mark.parametrize("name", SLIP_LAYOUTS)
def test_the_text_is_exact_vietnamese(
    layouts: dict[str, Layout],
    name: str,
    intake_data: IntakeSlipData,
    make_handover: Callable[[int], HandoverSlipData],
) -> None:
    text = text_of(render_intake_slip(intake_data, layouts[name]).pdf)
    for expected in [*NAMES, "PHIẾU TIẾP NHẬN HỒ SƠ", "HS 1234 5679 9 VN", "09xx xxx 678"]:
        assert expected in text
    assert "912345678" not in text.replace(" ", "")  # the phone is masked
    handover = text_of(render_handover_slip(make_handover(2), layouts[name]).pdf)
    for expected in [
        "BIÊN BẢN BÀN GIAO",
        "Lương Thị Thu Hà",
        "Trần Văn Bình",
        "Hóa Trung",
        "Đồng Hỷ",
    ]:
        assert expected in handover


def test_decomposed_input_prints_as_composed_text(
    layouts: dict[str, Layout], intake_data: IntakeSlipData
) -> None:
    decomposed = unicodedata.normalize("NFD", "Nguyễn Thị Phương Thảo")
    data = replace(intake_data, sender=Party(decomposed, ""))
    assert "Nguyễn Thị Phương Thảo" in text_of(render_intake_slip(data, layouts["a6-slip"]).pdf)


def test_english(layouts: dict[str, Layout], intake_data: IntakeSlipData) -> None:
    assert STRINGS["en"].keys() == STRINGS["vi"].keys()
    text = text_of(render_intake_slip(intake_data, layouts["a4-slip"], lang="en").pdf)
    assert "DOSSIER RECEIPT" in text and "Sender:" in text and "Nguyễn Thị Phương Thảo" in text
    with pytest.raises(ValueError, match="language 'fr'"):
        render_intake_slip(intake_data, layouts["a4-slip"], lang="fr")


def test_the_same_input_gives_the_same_bytes(
    layouts: dict[str, Layout],
    intake_data: IntakeSlipData,
    make_handover: Callable[[int], HandoverSlipData],
    make_labels: Callable[[int], list[LabelData]],
) -> None:
    for name in SLIP_LAYOUTS:
        layout = layouts[name]
        assert (
            render_intake_slip(intake_data, layout).pdf
            == render_intake_slip(intake_data, layout).pdf
        )
        handover = make_handover(5)
        assert (
            render_handover_slip(handover, layout).pdf == render_handover_slip(handover, layout).pdf
        )
    labels = make_labels(30)
    sheet = layouts["a4-label-sheet"]
    assert render_labels(labels, sheet).pdf == render_labels(labels, sheet).pdf


def test_another_process_gives_the_same_bytes(
    layouts: dict[str, Layout], intake_data: IntakeSlipData, tmp_path: Path
) -> None:
    """Nothing from the process (time, ids, font registration order) leaks in."""
    digest = hashlib.sha256(render_intake_slip(intake_data, layouts["a4-slip"]).pdf).hexdigest()
    data_file = tmp_path / "data.pickle"
    data_file.write_bytes(pickle.dumps(intake_data))
    script = (
        "import hashlib, pickle, sys\n"
        "from postal_tracker.slips.layouts import load_layouts\n"
        "from postal_tracker.slips.intake_slip import render_intake_slip\n"
        f"data = pickle.loads(open({str(data_file)!r}, 'rb').read())\n"
        "pdf = render_intake_slip(data, load_layouts()['a4-slip']).pdf\n"
        "print(hashlib.sha256(pdf).hexdigest())\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == digest


def test_a_copy_says_so(layouts: dict[str, Layout], intake_data: IntakeSlipData) -> None:
    for name in SLIP_LAYOUTS:
        original = render_intake_slip(intake_data, layouts[name])
        copy = render_intake_slip(intake_data, layouts[name], copy=True)
        assert "BẢN SAO" not in text_of(original.pdf)
        assert "BẢN SAO" in text_of(copy.pdf)
        assert_inside(copy, layouts[name])
    english = render_intake_slip(intake_data, layouts["a6-slip"], lang="en", copy=True)
    assert "COPY" in text_of(english.pdf)


def test_the_copy_mark_leaves_the_qr_readable(
    layouts: dict[str, Layout], intake_data: IntakeSlipData, keyring: KeyRing
) -> None:
    rendered = render_intake_slip(intake_data, layouts["a6-slip"], copy=True)
    [scanned] = qr_texts(rendered.pdf)
    assert verify_scan(scanned, keyring) == intake_data.tracking_code


def long_intake(data: IntakeSlipData) -> IntakeSlipData:
    """The worst a slip meets: long names, a long address, forty documents."""
    long_name = "Nguyễn Thị Phương Thảo " * 6 + "Supercalifragilisticexpialidocious" * 3
    return replace(
        data,
        sender=Party(long_name, ""),
        procedure_name="Đăng ký khai sinh, đăng ký thường trú, cấp thẻ bảo hiểm y tế " * 3,
        agency="Ủy ban nhân dân xã Hóa Trung, huyện Đồng Hỷ, tỉnh Thái Nguyên " * 3,
        delivery_address="Xóm Đồng Xe, xã Hóa Trung, huyện Đồng Hỷ, tỉnh Thái Nguyên " * 4,
        documents=tuple(
            DocumentLine(
                f"Giấy tờ số {n}: bản sao giấy chứng nhận quyền sử dụng đất " * (n % 3 + 1),
                1,
                2,
                3,
                99,
            )
            for n in range(40)
        ),
        fee_vnd=1_234_567_890,
        seal_number="NP-" + "9" * 40,
        officer=Party("Đỗ Thị Thu Nga " * 5, "Bộ phận tiếp nhận và trả kết quả " * 4),
        on_behalf=True,
    )


@pytest.mark.parametrize("name", SLIP_LAYOUTS)
@pytest.mark.parametrize("copy", [False, True])
def test_every_layout_keeps_every_slip_inside_its_page(
    layouts: dict[str, Layout],
    name: str,
    copy: bool,
    intake_data: IntakeSlipData,
    make_handover: Callable[[int], HandoverSlipData],
) -> None:
    layout = layouts[name]
    for rendered in (
        render_intake_slip(intake_data, layout, copy=copy),
        render_intake_slip(long_intake(intake_data), layout, copy=copy),
        render_handover_slip(make_handover(1), layout, copy=copy),
        render_handover_slip(make_handover(150), layout, copy=copy),
    ):
        assert_inside(rendered, layout)
        assert page_count(rendered.pdf) == rendered.pages
    assert render_intake_slip(long_intake(intake_data), layout).pages > 2
    assert render_handover_slip(make_handover(150), layout).pages > 1


@pytest.mark.parametrize("name", LABEL_LAYOUTS)
def test_labels_fill_the_sheets_inside_the_page(
    layouts: dict[str, Layout], name: str, make_labels: Callable[[int], list[LabelData]]
) -> None:
    layout = layouts[name]
    assert layout.labels is not None
    per_page = layout.labels.per_page
    labels = make_labels(per_page + 1)
    rendered = render_labels(labels, layout)
    assert_inside(rendered, layout)
    assert rendered.pages == page_count(rendered.pdf) == 2
    assert sum(d.kind == "qr" for d in rendered.drawn) == per_page + 1
    skipped = render_labels(labels[:1], layout, start_at=per_page - 1)
    assert skipped.pages == 1
    with pytest.raises(ValueError, match="start_at"):
        render_labels(labels, layout, start_at=per_page)
    with pytest.raises(ValueError, match="no labels"):
        render_labels([], layout)


def test_every_qr_prints_at_least_25_mm(
    layouts: dict[str, Layout],
    intake_data: IntakeSlipData,
    make_handover: Callable[[int], HandoverSlipData],
    make_labels: Callable[[int], list[LabelData]],
) -> None:
    rendered = [render_labels(make_labels(2), layouts[n]) for n in LABEL_LAYOUTS]
    for name in SLIP_LAYOUTS:
        rendered.append(render_intake_slip(intake_data, layouts[name]))
        rendered.append(render_handover_slip(make_handover(2), layouts[name]))
    sizes = [d.box.width for r in rendered for d in r.drawn if d.kind == "qr"]
    assert sizes and min(sizes) >= MIN_QR_SYMBOL_MM
    a6 = [d.box.width for d in rendered[4].drawn if d.kind == "qr"]
    assert a6 == pytest.approx([30 * 49 / 57] * 2)  # A6: 30 mm box, version 8 (49 + 8 modules)


def test_drawn_signatures_are_placed(
    layouts: dict[str, Layout], intake_data: IntakeSlipData
) -> None:
    data = replace(intake_data, sender=Party(intake_data.sender.name, "", signature_png()))
    for name in SLIP_LAYOUTS:
        rendered = render_intake_slip(data, layouts[name])
        assert sum(d.kind == "image" for d in rendered.drawn) == 2  # receipt and envelope
        assert_inside(rendered, layouts[name])
    broken = replace(intake_data, sender=Party("A", "", b"not a png"))
    with pytest.raises(ValueError, match="signature image"):
        render_intake_slip(broken, layouts["a4-slip"])


def test_a_layout_without_the_section_is_refused(
    layouts: dict[str, Layout],
    intake_data: IntakeSlipData,
    make_handover: Callable[[int], HandoverSlipData],
    make_labels: Callable[[int], list[LabelData]],
) -> None:
    with pytest.raises(LayoutError, match=r"no \[intake\]"):
        render_intake_slip(intake_data, layouts["a4-label-sheet"])
    with pytest.raises(LayoutError, match=r"no \[handover\]"):
        render_handover_slip(make_handover(1), layouts["a4-label-sheet"])
    with pytest.raises(LayoutError, match=r"no \[labels\]"):
        render_labels(make_labels(1), layouts["a4-slip"])


def test_a_missing_font_names_the_package(
    layouts: dict[str, Layout], intake_data: IntakeSlipData, tmp_path: Path
) -> None:
    with pytest.raises(FontNotFound, match="fonts-dejavu-core"):
        render_intake_slip(intake_data, layouts["a4-slip"], fonts=FontFiles.in_directory(tmp_path))
    (tmp_path / "DejaVuSans.ttf").write_bytes(b"not a font")
    (tmp_path / "DejaVuSans-Bold.ttf").write_bytes(b"not a font")
    with pytest.raises(FontNotFound, match="not a usable TrueType font"):
        render_intake_slip(intake_data, layouts["a4-slip"], fonts=FontFiles.in_directory(tmp_path))
