"""The body of a slip part: fields and tables, measured into rows and laid
out over as many pages as they need.

A long inventory or manifest continues on further pages; a table's header
row is repeated at the top of each continuation and never left alone at the
bottom of a page. Every row is at most three lines high, so (with the body's
minimum height checked in ``layouts``) a row always fits an empty page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from postal_tracker.slips.layouts import Box
from postal_tracker.slips.pen import Align, Pen

PAD_X = 0.8  # mm inside table cells
PAD_Y = 0.35
FIELD_LABEL_SHARE = 0.3
GAP = 1.2  # mm before a heading or a table


@dataclass(frozen=True)
class Field:
    """``label: value``, the value wrapped beside the label."""

    label: str
    value: str


@dataclass(frozen=True)
class Heading:
    text: str


@dataclass(frozen=True)
class Column:
    title: str
    share: float  # of the body width
    align: Align = "left"


@dataclass(frozen=True)
class Table:
    columns: tuple[Column, ...]
    rows: tuple[tuple[str, ...], ...]
    total: tuple[str, ...] | None = None  # a bold last row


Block = Field | Heading | Table


@dataclass(frozen=True)
class Row:
    """A measured row: ``kind`` says how to draw ``cells`` (lines per cell)."""

    kind: Literal["field", "heading", "table_header", "table_row", "table_total"]
    height: float
    cells: tuple[tuple[str, ...], ...]
    columns: tuple[Column, ...] = ()
    gap_before: float = 0.0
    header: Row | None = None  # for table rows: the header to repeat on a new page


def measure(pen: Pen, blocks: list[Block], width: float, size: float) -> list[Row]:
    """``blocks`` as rows for a body ``width`` mm wide, text at ``size`` pt."""
    line = pen.line_height(size)
    rows: list[Row] = []
    for block in blocks:
        if isinstance(block, Field):
            label_width = width * FIELD_LABEL_SHARE
            label = pen.wrap(block.label + ":", size, label_width - PAD_X, bold=True, max_lines=2)
            value = pen.wrap(block.value, size, width - label_width, max_lines=3)
            rows.append(
                Row("field", max(len(label), len(value)) * line, (tuple(label), tuple(value)))
            )
        elif isinstance(block, Heading):
            text = pen.wrap(block.text, size, width, bold=True, max_lines=2)
            rows.append(Row("heading", len(text) * line + GAP, (tuple(text),), gap_before=GAP))
        else:
            rows.extend(_table_rows(pen, block, width, size))
    return rows


def paginate(rows: list[Row], height: float) -> list[list[Row]]:
    """Split ``rows`` into pages of at most ``height`` mm each (never zero pages)."""
    pages: list[list[Row]] = [[]]
    used = 0.0
    for index, row in enumerate(rows):
        needed = row.height
        if row.kind == "table_header" and index + 1 < len(rows):
            needed += rows[index + 1].height  # keep the header with a first row
        if used + needed > height and pages[-1]:
            pages.append([])
            used = 0.0
            if row.header is not None:
                pages[-1].append(row.header)
                used += row.header.height
        pages[-1].append(row)
        used += row.height
    return pages


def draw(pen: Pen, rows: list[Row], box: Box, size: float) -> None:
    """Draw one page's ``rows`` from the top of ``box``."""
    line = pen.line_height(size)
    top = box.y
    with pen.within(box):
        for row in rows:
            if row.kind == "field":
                label_width = box.width * FIELD_LABEL_SHARE
                _lines(pen, row.cells[0], box.x, top, size, line, bold=True)
                _lines(pen, row.cells[1], box.x + label_width, top, size, line)
            elif row.kind == "heading":
                _lines(pen, row.cells[0], box.x, top + row.gap_before, size, line, bold=True)
            else:
                _table_row(pen, row, box, top, size, line)
            top += row.height


def _table_rows(pen: Pen, table: Table, width: float, size: float) -> list[Row]:
    line = pen.line_height(size)
    total_share = sum(c.share for c in table.columns)
    widths = [width * c.share / total_share for c in table.columns]

    def row(
        kind: Literal["table_header", "table_row", "table_total"],
        texts: tuple[str, ...],
        header: Row | None,
    ) -> Row:
        bold = kind != "table_row"
        cells = tuple(
            tuple(
                pen.wrap(
                    text,
                    size,
                    w - 2 * PAD_X,
                    bold=bold,
                    max_lines=2 if kind == "table_header" else 3,
                )
            )
            for text, w in zip(texts, widths, strict=True)
        )
        height = max(len(c) for c in cells) * line + 2 * PAD_Y
        return Row(kind, height, cells, table.columns, header=header)

    header = row("table_header", tuple(c.title for c in table.columns), None)
    header = Row(header.kind, header.height + GAP, header.cells, header.columns, gap_before=GAP)
    rows = [header]
    rows.extend(row("table_row", texts, header) for texts in table.rows)
    if table.total is not None:
        rows.append(row("table_total", table.total, header))
    return rows


def _table_row(pen: Pen, row: Row, box: Box, top: float, size: float, line: float) -> None:
    total_share = sum(c.share for c in row.columns)
    top += row.gap_before
    height = row.height - row.gap_before
    x = box.x
    for column, cell in zip(row.columns, row.cells, strict=True):
        width = box.width * column.share / total_share
        cell_box = Box(x, top, width, height)
        pen.rect(cell_box, line_width=0.15, fill_gray=0.9 if row.kind == "table_header" else None)
        bold = row.kind != "table_row"
        for index, text in enumerate(cell):
            pen.text(
                text,
                x + PAD_X,
                top + PAD_Y + index * line,
                size,
                bold=bold,
                align=column.align,
                width=width - 2 * PAD_X,
            )
        x += width


def _lines(
    pen: Pen,
    lines: tuple[str, ...],
    x: float,
    top: float,
    size: float,
    line: float,
    *,
    bold: bool = False,
) -> None:
    for index, text in enumerate(lines):
        pen.text(text, x, top + index * line, size, bold=bold)
