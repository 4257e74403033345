"""The pen's line breaking: what fits stays one line, the rest breaks at
spaces into lines that fit, and too much ends in an ellipsis."""

from __future__ import annotations

import io

import pytest
from reportlab.pdfgen.canvas import Canvas

from postal_tracker.slips.fonts import register_fonts
from postal_tracker.slips.layouts import Layout
from postal_tracker.slips.pen import ELLIPSIS, Pen

TEXT = "Căn cước công dân của cha và mẹ, bản sao có chứng thực"


@pytest.fixture
def pen(layouts: dict[str, Layout]) -> Pen:
    return Pen(Canvas(io.BytesIO()), layouts["a6-slip"].page, register_fonts())


def test_a_text_that_fits_is_one_line(pen: Pen) -> None:
    width = pen.width(TEXT, 7)
    assert pen.wrap(f"  {TEXT}\n", 7, width) == [TEXT]


def test_a_longer_text_breaks_at_spaces_into_lines_that_fit(pen: Pen) -> None:
    width = pen.width(TEXT, 7) * 0.6
    lines = pen.wrap(TEXT, 7, width)
    assert len(lines) == 2
    assert " ".join(lines) == TEXT
    assert all(pen.width(line, 7) <= width for line in lines)


def test_too_much_text_ends_in_an_ellipsis(pen: Pen) -> None:
    width = pen.width(TEXT, 7) * 0.3
    lines = pen.wrap(TEXT, 7, width, max_lines=2)
    assert len(lines) == 2
    assert lines[-1].endswith(ELLIPSIS)
    assert all(pen.width(line, 7) <= width for line in lines)
