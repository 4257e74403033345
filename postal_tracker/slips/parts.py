"""Slips made of parts (header, QR, tracking code, body, signatures, footer)
placed by a layout, each part's body continued on pages of its own when long.

A body is a list of blocks (``Field``, ``Heading``, ``Table``) that become
platypus flowables: fields a two-column table, a table's header row repeated
at the top of each continuation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from reportlab.lib.colors import Color
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, Paragraph
from reportlab.platypus import Table as PdfTable

from postal_tracker.slips.fonts import DEFAULT_FONTS, FontFiles
from postal_tracker.slips.layouts import LINE_SPACING, Box, Layout, PartLayout
from postal_tracker.slips.model import Party
from postal_tracker.slips.paper import (
    MM,
    Align,
    Line,
    Paper,
    Rendered,
    Styles,
    clean,
    markup,
    new_canvas,
)
from postal_tracker.slips.qr import QrSymbol
from postal_tracker.slips.strings import display_code

PAD_X = 0.8  # mm inside table cells
PAD_Y = 0.35
FIELD_LABEL_SHARE = 0.3
GAP = 1.2  # mm before a heading or a table
COPY_GRAY = 0.82  # light enough to read the body through
SIGNATURE_GAP = 4.0  # mm between signature columns
HEADER_GRAY = Color(0.9, 0.9, 0.9)


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
Cell = str | Paragraph


@dataclass(frozen=True)
class PartContent:
    """What goes into one part of a document."""

    layout: PartLayout
    unit_line: str
    title: str
    subtitle: str
    blocks: list[Block]
    signers: tuple[tuple[str, Party], ...]  # caption, party


@dataclass(frozen=True)
class Decorations:
    """Texts every part of a document repeats."""

    footer: str  # slip number, time, how to verify
    page_format: str  # "Trang {page}/{pages}"
    continued: str
    sign_hint: str
    copy_mark: str | None  # printed when the document is a copy


def render_parts(
    layout: Layout,
    title: str,
    parts: list[PartContent],
    symbol: QrSymbol,
    reference: str,
    decorations: Decorations,
    *,
    cut_line: float | None = None,
    fonts: FontFiles = DEFAULT_FONTS,
) -> Rendered:
    """A document of ``parts``: each first page where its layout puts it, each
    continuation on a page of its own after those."""
    paper = new_canvas(layout.page, title, fonts)
    size = layout.fonts.body
    stories = [
        body_story(part.blocks, part.layout.body.width, size, paper.styles) for part in parts
    ]
    for page in range(1, max(part.layout.page for part in parts) + 1):
        if page > 1:
            paper.next_page()
        if page == 1 and cut_line is not None:
            paper.cut_line(cut_line, layout.page.printable)
        for part, story in zip(parts, stories, strict=True):
            if part.layout.page == page:
                _draw_part(paper, layout, part, story, symbol, reference, decorations, False)
    for part, story in zip(parts, stories, strict=True):
        while story:
            paper.next_page()
            _draw_part(paper, layout, part, story, symbol, reference, decorations, True)
    return paper.finish(page_count_size=layout.fonts.small)


def _draw_part(
    paper: Paper,
    layout: Layout,
    part: PartContent,
    story: list[Flowable],
    symbol: QrSymbol,
    reference: str,
    decorations: Decorations,
    continued: bool,
) -> None:
    fonts, boxes = layout.fonts, part.layout
    if decorations.copy_mark:
        paper.watermark(decorations.copy_mark, boxes.body, gray=COPY_GRAY)
    subtitle = f"{part.subtitle} {decorations.continued}" if continued else part.subtitle
    header = [
        Line(part.unit_line, fonts.small),
        Line(part.title, fonts.title, bold=True),
        Line(subtitle, fonts.body),
    ]
    if decorations.copy_mark:
        header.append(Line(decorations.copy_mark, fonts.title, bold=True))
    paper.lines(header, boxes.header)
    paper.qr(symbol, boxes.qr, reuse=True)
    paper.text(display_code(reference), boxes.code, fonts.code, bold=True, align="center")
    paper.flow(story, boxes.body)
    if boxes.signatures is not None and not story:
        _signatures(paper, boxes.signatures, layout, part.signers, decorations.sign_hint)
    _footer(paper, boxes.footer, layout, decorations)


def _signatures(
    paper: Paper, box: Box, layout: Layout, signers: tuple[tuple[str, Party], ...], hint: str
) -> None:
    fonts = layout.fonts
    width = (box.width - SIGNATURE_GAP * (len(signers) - 1)) / len(signers)
    for index, (caption, party) in enumerate(signers):
        column = Box(box.x + index * (width + SIGNATURE_GAP), box.y, width, box.height)
        paper.rect(column)
        inner = column.inset(0.8)
        heading = [
            Line(caption, fonts.body, bold=True, align="center"),
            Line(hint, fonts.small, align="center"),
        ]
        top = inner.y + paper.lines(heading, Box(inner.x, inner.y, inner.width, inner.height / 2))
        name = Line(party.name, fonts.body, bold=True, align="center")
        name_box = Box(inner.x, inner.y + inner.height * 2 / 3, inner.width, inner.height / 3)
        name_top = inner.bottom - paper.lines([name], name_box, valign="bottom")
        if party.signature_png and name_top - top > 2:
            paper.image(party.signature_png, Box(inner.x, top, inner.width, name_top - top))


def _footer(paper: Paper, box: Box, layout: Layout, decorations: Decorations) -> None:
    size = layout.fonts.small
    label = decorations.page_format.format(page=paper.page_number, pages="")
    used = paper.page_count(label, box, size) + 1.0
    texts = (
        [decorations.copy_mark, decorations.footer]
        if decorations.copy_mark
        else [decorations.footer]
    )
    paper.text(" · ".join(texts), Box(box.x, box.y, box.width - used, box.height), size)


def body_story(
    blocks: Sequence[Block], width: float, size: float, styles: Styles
) -> list[Flowable]:
    """``blocks`` as flowables for a body ``width`` mm wide, text at ``size`` pt."""
    story: list[Flowable] = []
    fields: list[Field] = []
    for block in [*blocks, None]:
        if isinstance(block, Field):
            fields.append(block)
            continue
        if fields:
            story.append(_fields(fields, width, size, styles))
            fields = []
        if isinstance(block, Heading):
            heading = styles.text(size, bold=True)
            heading.spaceBefore = GAP * MM
            story.append(Paragraph(markup(block.text), heading))
        elif isinstance(block, Table):
            story.append(_table(block, width, size, styles))
    return story


def _cell(
    text: str, width: float, size: float, styles: Styles, *, bold: bool, align: Align
) -> Cell:
    """``text`` as a table cell ``width`` points wide: as it is when it fits on
    one line (a plain string is drawn as it is, far faster than a paragraph is
    parsed and set), else a paragraph wrapped to the width."""
    text = clean(text)
    font = styles.fonts.bold if bold else styles.fonts.regular
    if stringWidth(text, font, size) <= width:
        return text
    return Paragraph(markup(text), styles.text(size, bold=bold, align=align))


def _fields(fields: list[Field], width: float, size: float, styles: Styles) -> PdfTable:
    label_width = width * FIELD_LABEL_SHARE * MM
    value_width = width * MM - label_width
    rows = [
        [
            _cell(f.label + ":", label_width - PAD_X * MM, size, styles, bold=True, align="left"),
            _cell(f.value, value_width, size, styles, bold=False, align="left"),
        ]
        for f in fields
    ]
    return PdfTable(
        rows,
        colWidths=[label_width, value_width],
        style=[
            ("FONT", (0, 0), (0, -1), styles.fonts.bold, size, size * LINE_SPACING),
            ("FONT", (1, 0), (1, -1), styles.fonts.regular, size, size * LINE_SPACING),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("RIGHTPADDING", (0, 0), (0, -1), PAD_X * MM),
            ("RIGHTPADDING", (1, 0), (1, -1), 0),
            ("TOPPADDING", (0, 0), (-1, -1), 0),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
        ],
        hAlign="LEFT",
        splitInRow=1,
    )


def _table(table: Table, width: float, size: float, styles: Styles) -> PdfTable:
    total_share = sum(c.share for c in table.columns)
    widths = [width * MM * c.share / total_share for c in table.columns]

    def cells(texts: tuple[str, ...], bold: bool) -> list[Cell]:
        return [
            _cell(text, w - 2 * PAD_X * MM, size, styles, bold=bold, align=column.align)
            for text, column, w in zip(texts, table.columns, widths, strict=True)
        ]

    rows = [cells(tuple(c.title for c in table.columns), True)]
    rows += [cells(row, False) for row in table.rows]
    if table.total is not None:
        rows.append(cells(table.total, True))
    style: list[Any] = [
        ("GRID", (0, 0), (-1, -1), 0.15 * MM, (0, 0, 0)),
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_GRAY),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("FONT", (0, 0), (-1, -1), styles.fonts.regular, size, size * LINE_SPACING),
        ("FONT", (0, 0), (-1, 0), styles.fonts.bold, size, size * LINE_SPACING),
        ("LEFTPADDING", (0, 0), (-1, -1), PAD_X * MM),
        ("RIGHTPADDING", (0, 0), (-1, -1), PAD_X * MM),
        ("TOPPADDING", (0, 0), (-1, -1), PAD_Y * MM),
        ("BOTTOMPADDING", (0, 0), (-1, -1), PAD_Y * MM),
    ]
    if table.total is not None:
        style.append(("FONT", (0, -1), (-1, -1), styles.fonts.bold, size, size * LINE_SPACING))
    for index, column in enumerate(table.columns):
        style.append(("ALIGN", (index, 0), (index, -1), column.align.upper()))
    return PdfTable(
        rows,
        colWidths=widths,
        style=style,
        repeatRows=1,
        hAlign="LEFT",
        spaceBefore=GAP * MM,
        spaceAfter=GAP * MM,
        splitInRow=1,
    )
