"""Sheets of pre-printed tracking labels: a QR and the code in print on each."""

from __future__ import annotations

from collections.abc import Sequence

from postal_tracker import s10
from postal_tracker.slips.fonts import DEFAULT_FONTS, FontFiles
from postal_tracker.slips.layouts import Layout, LayoutError
from postal_tracker.slips.model import LabelData
from postal_tracker.slips.pdf import Rendered, render_pages
from postal_tracker.slips.pen import Pen
from postal_tracker.slips.qr import make_qr


def render_labels(
    labels: Sequence[LabelData],
    layout: Layout,
    *,
    start_at: int = 0,
    fonts: FontFiles = DEFAULT_FONTS,
) -> Rendered:
    """``labels`` on as many sheets as they need, filled row by row.

    ``start_at`` skips that many positions on the first sheet (a sheet already
    partly used). Raises ``LayoutError`` if the layout has no ``[labels]``,
    ``s10.InvalidTrackingCode`` for a bad code, ``ValueError`` for no labels.
    """
    grid = layout.labels
    if grid is None:
        raise LayoutError(f"{layout.source}: has no [labels] section; choose another layout")
    if not labels:
        raise ValueError("no labels to print")
    if not 0 <= start_at < grid.per_page:
        raise ValueError(f"start_at must be between 0 and {grid.per_page - 1}")
    # Check every code before drawing anything: a sheet with one bad label is
    # a wasted sheet.
    codes = [s10.format_code(label.tracking_code) for label in labels]
    cells = list(grid.cells())
    positions = range(start_at, start_at + len(labels))
    pages = (positions[-1] // grid.per_page) + 1
    size = layout.fonts.code

    def draw_page(pen: Pen, page_index: int) -> None:
        first = page_index * grid.per_page
        for position in range(max(first, start_at), min(first + grid.per_page, positions.stop)):
            index = position - start_at
            cell = cells[position - first]
            pen.qr(make_qr(labels[index].qr_payload), grid.qr.moved(cell.x, cell.y))
            code_box = grid.code.moved(cell.x, cell.y)
            with pen.within(code_box):
                pen.text_block(codes[index], code_box, size, bold=True, align="center")

    return render_pages(layout, f"Tracking labels {codes[0]}", pages, draw_page, fonts)
