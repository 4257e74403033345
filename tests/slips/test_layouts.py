"""Layout files: the shipped ones load; each kind of mistake is refused at
load with a message naming the file and what to change."""

from __future__ import annotations

from pathlib import Path

import pytest

from postal_tracker.slips.layouts import (
    DEFAULT_DIRECTORY,
    MIN_QR_BOX_MM,
    Layout,
    LayoutError,
    load_layout,
    load_layouts,
)

GOOD = (DEFAULT_DIRECTORY / "a6-slip.toml").read_text(encoding="utf-8")
SHEET = (DEFAULT_DIRECTORY / "a4-label-sheet.toml").read_text(encoding="utf-8")
RECEIPT_QR = "qr = { x = 70, y = 5, width = 30, height = 30 }"


def test_the_shipped_layouts(layouts: dict[str, Layout]) -> None:
    assert set(layouts) == {"a4-slip", "a6-slip", "thermal-100x150", "a4-label-sheet"}
    assert layouts["a4-label-sheet"].labels is not None
    assert layouts["a4-label-sheet"].labels.per_page == 24
    assert layouts["a4-label-sheet"].intake is None
    for name in ("a4-slip", "a6-slip", "thermal-100x150"):
        assert layouts[name].intake is not None and layouts[name].handover is not None


def test_every_box_is_inside_the_printable_area(layouts: dict[str, Layout]) -> None:
    for layout in layouts.values():
        printable = layout.page.printable
        parts = [layout.handover] if layout.handover else []
        if layout.intake:
            parts += [layout.intake.receipt, layout.intake.envelope]
        for part in parts:
            assert part is not None
            for box in part.boxes().values():
                assert printable.contains(box), (layout.name, box)
            assert min(part.qr.width, part.qr.height) >= MIN_QR_BOX_MM
        if layout.labels:
            for cell in layout.labels.cells():
                assert printable.contains(layout.labels.qr.moved(cell.x, cell.y))
                assert printable.contains(layout.labels.code.moved(cell.x, cell.y))


def test_adding_a_stock_is_adding_a_file(tmp_path: Path) -> None:
    (tmp_path / "a6-copy.toml").write_text(GOOD, encoding="utf-8")
    assert list(load_layouts(tmp_path)) == ["a6-copy"]


def test_an_empty_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(LayoutError, match="no layout files"):
        load_layouts(tmp_path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (GOOD.replace("[page]", "[page", 1), "not valid TOML"),
        (GOOD.replace("height = 148.0\n", "", 1), r"\[page\] missing 'height'"),
        (
            GOOD.replace("width = 105.0", 'width = "A6"', 1),
            r"\[page\] width must be a number \(mm\), got text",
        ),
        (GOOD.replace("width = 105.0", "width = true", 1), "width must be a number"),
        (GOOD.replace("body = 6.5", "body = -6.5", 1), r"\[fonts\] body must be more than 0 pt"),
        (GOOD.replace("margin = 5.0", "margin = 60.0", 1), "margin leaves no room"),
        (
            GOOD.replace(RECEIPT_QR, "qr = { x = 80, y = 5, width = 30, height = 30 }", 1),
            r"\[intake.receipt\] qr box is outside the page's printable area "
            r".* right of the margin at 100 mm",
        ),
        (
            GOOD.replace(RECEIPT_QR, "qr = { x = 70, y = 5, width = -30, height = 30 }", 1),
            r"\[intake.receipt.qr\] width must be more than 0 mm, got -30",
        ),
        (
            GOOD.replace(RECEIPT_QR, "qr = { x = 70, y = 5, width = 30 }", 1),
            r"\[intake.receipt.qr\] missing 'height'",
        ),
        (GOOD.replace(RECEIPT_QR, "qr = [70, 5, 30, 30]", 1), "qr must be a box .* got a list"),
        (
            GOOD.replace(RECEIPT_QR, "qr = { x = 70, y = 5, width = 26, height = 26 }", 1),
            "qr box is 26 mm on its short side; .* at least 25 mm wide",
        ),
        (
            GOOD.replace(RECEIPT_QR, "qr = { x = 60, y = 5, width = 30, height = 30 }", 1),
            r"\[intake.receipt\] header and qr overlap",
        ),
        (GOOD.replace("[page]", 'papre = "A6"\n[page]', 1), r"unknown 'papre' \(allowed:"),
        (GOOD.replace("page = 1\n", "page = 3\n", 1), "page must be 1 or 2, got 3"),
        (
            GOOD.replace(
                "body = { x = 5, y = 43, width = 95, height = 76 }",
                "body = { x = 5, y = 43, width = 95, height = 10 }",
                1,
            ),
            "body is 10 mm high; at 6.5 pt it must be at least",
        ),
        (GOOD.split("[intake.receipt]")[0], "needs at least one of"),
        (
            SHEET.replace("rows = 8", "rows = 9", 1),
            r"\[labels\] label 25 .* runs off the 210 x 297 mm page",
        ),
        (
            SHEET.replace("columns = 3", "columns = 0", 1),
            "columns must be a whole number of at least 1",
        ),
        (
            SHEET.replace(
                "code = { x = 36, y = 6, width = 32, height = 25 }",
                "code = { x = 36, y = 6, width = 40, height = 25 }",
                1,
            ),
            "code box lies outside the 70 x 37 mm label",
        ),
    ],
)
def test_a_bad_file_is_refused_with_a_clear_message(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "bad-stock.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LayoutError, match=message) as error:
        load_layout(path)
    assert str(error.value).startswith(f"{path}: ")


def test_an_unreadable_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(LayoutError, match="cannot read the file"):
        load_layout(tmp_path / "missing.toml")
