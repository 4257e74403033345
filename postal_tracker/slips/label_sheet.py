"""Sheets of pre-printed tracking labels: a QR and the code in print on each."""

from __future__ import annotations

from collections.abc import Sequence

from postal_tracker import s10
from postal_tracker.slips.fonts import DEFAULT_FONTS, FontFiles
from postal_tracker.slips.layouts import Layout, LayoutError
from postal_tracker.slips.model import LabelData
from postal_tracker.slips.paper import Rendered, new_canvas
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
    paper = new_canvas(layout.page, f"Tracking labels {codes[0]}", fonts)
    for index, (label, code) in enumerate(zip(labels, codes, strict=True)):
        position = (start_at + index) % grid.per_page
        if index and not position:
            paper.next_page()
        cell = cells[position]
        paper.qr(make_qr(label.qr_payload), grid.qr.moved(cell.x, cell.y))
        paper.text(
            code, grid.code.moved(cell.x, cell.y), layout.fonts.code, bold=True, align="center"
        )
    return paper.finish()
