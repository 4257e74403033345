"""The PDF machinery slips share: a deterministic canvas, and documents made
of parts (header, QR, tracking code, body, signatures, footer) placed by a
layout and continued over extra pages when the body is long.

Determinism: the same input gives byte-identical PDFs (reportlab's invariant
mode fixes the creation date and document id; nothing else varies), because
slips are archived by SHA-256 and a reprint must match its original.
"""

from __future__ import annotations

import io
import zlib
from dataclasses import dataclass
from typing import Protocol

from reportlab import rl_config
from reportlab.pdfbase import pdfdoc
from reportlab.pdfgen.canvas import Canvas

from postal_tracker import s10
from postal_tracker.slips.flow import Block, Row, draw, measure, paginate
from postal_tracker.slips.fonts import DEFAULT_FONTS, FontFiles, register_fonts
from postal_tracker.slips.layouts import Box, Layout, PartLayout
from postal_tracker.slips.model import Party
from postal_tracker.slips.pen import MM, Drawn, Pen
from postal_tracker.slips.qr import QrSymbol

# reportlab wraps every compressed stream in ASCII85 by default, in pure
# Python: a third of a slip's rendering time for a 25 % larger file. Binary
# streams are fine in any PDF reader. Process-wide, and set once at import so
# every slip in the process is rendered the same way (same bytes).
rl_config.useA85 = 0

# Flate at zlib's fastest level for a slip's streams (its pages, its font):
# a sixth of a slip's rendering time went to the default level 6, which
# makes them only 6 % smaller. A large stream (a sheet of labels' QR paths)
# keeps level 6, which makes it 3.5 times smaller than level 1 does.
# reportlab has no setting for it; every stream it compresses goes through
# this one object.
FAST_FLATE_LEVEL = 1
FAST_FLATE_UP_TO = 64 * 1024  # bytes


class _FastFlate(pdfdoc.PDFStreamFilterZCompress):
    def encode(self, text: str | bytes) -> bytes:
        data = text.encode("utf8") if isinstance(text, str) else text
        if len(data) <= FAST_FLATE_UP_TO:
            return zlib.compress(data, FAST_FLATE_LEVEL)
        return zlib.compress(data)


pdfdoc.PDFZCompress = _FastFlate()

COPY_GRAY = 0.82  # light enough to read the body through
SIGNATURE_GAP = 4.0  # mm between signature columns


@dataclass(frozen=True)
class Rendered:
    """A rendered PDF and what was drawn where (for checks and tests)."""

    pdf: bytes
    pages: int
    drawn: tuple[Drawn, ...]
    overflows: tuple[str, ...]  # anything drawn outside its box; empty when all is well


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


class DrawPage(Protocol):
    def __call__(self, pen: Pen, page_index: int) -> None: ...


def display_code(code: str) -> str:
    """A tracking code grouped for reading (``HS 1234 5678 5 VN``) when it is one."""
    return s10.format_code(code) if s10.is_valid(code) else code


def render_pages(
    layout: Layout, title: str, pages: int, draw_page: DrawPage, fonts: FontFiles = DEFAULT_FONTS
) -> Rendered:
    """Run ``draw_page`` for each of ``pages`` pages on a fresh deterministic canvas."""
    buffer, pen = _new_pen(layout, title, fonts)
    return _draw_pages(buffer, pen, layout, pages, draw_page)


def _new_pen(layout: Layout, title: str, fonts: FontFiles) -> tuple[io.BytesIO, Pen]:
    names = register_fonts(fonts)
    buffer = io.BytesIO()
    canvas = Canvas(
        buffer,
        pagesize=(layout.page.width * MM, layout.page.height * MM),
        invariant=True,
        pageCompression=True,
        # Not reportlab's default Helvetica, which every page would set and
        # every PDF would carry as an extra font resource.
        initialFontName=names.regular,  # type: ignore[arg-type]  # the stubs say float
    )
    canvas.setTitle(title)
    canvas.setAuthor("Postal Tracker")
    canvas.setCreator("Postal Tracker")
    return buffer, Pen(canvas, layout.page, names)


def _draw_pages(
    buffer: io.BytesIO, pen: Pen, layout: Layout, pages: int, draw_page: DrawPage
) -> Rendered:
    for index in range(pages):
        if index:
            pen.next_page()
        with pen.within(layout.page.printable):
            draw_page(pen, index)
    pen.finish_page()
    pen.canvas.save()
    return Rendered(buffer.getvalue(), pages, tuple(pen.drawn), tuple(pen.overflows))


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
    buffer, pen = _new_pen(layout, title, fonts)
    chunks = [
        paginate(
            measure(pen, part.blocks, part.layout.body.width, layout.fonts.body),
            part.layout.body.height,
        )
        for part in parts
    ]
    plan: list[list[tuple[int, int]]] = [[] for _ in range(max(p.layout.page for p in parts))]
    for index, part in enumerate(parts):
        plan[part.layout.page - 1].append((index, 0))
    for index, part_chunks in enumerate(chunks):
        plan.extend([(index, chunk)] for chunk in range(1, len(part_chunks)))

    def draw_page(pen: Pen, page_index: int) -> None:
        if page_index == 0 and cut_line is not None:
            printable = layout.page.printable
            pen.line(printable.x, cut_line, printable.right, cut_line, line_width=0.2, dash=True)
        for part_index, chunk in plan[page_index]:
            part_chunks = chunks[part_index]
            _draw_part(
                pen,
                layout,
                parts[part_index],
                part_chunks[chunk],
                symbol,
                reference,
                decorations,
                page_label=decorations.page_format.format(page=page_index + 1, pages=len(plan)),
                continued=chunk > 0,
                last=chunk == len(part_chunks) - 1,
            )

    return _draw_pages(buffer, pen, layout, len(plan), draw_page)


def _draw_part(
    pen: Pen,
    layout: Layout,
    part: PartContent,
    rows: list[Row],
    symbol: QrSymbol,
    reference: str,
    decorations: Decorations,
    *,
    page_label: str,
    continued: bool,
    last: bool,
) -> None:
    fonts, boxes = layout.fonts, part.layout
    if decorations.copy_mark:
        pen.diagonal_text(decorations.copy_mark, boxes.body, gray=COPY_GRAY)
    _header(pen, boxes.header, layout, part, continued, decorations)
    pen.qr(symbol, boxes.qr, reuse=True)
    with pen.within(boxes.code):
        pen.text_block(display_code(reference), boxes.code, fonts.code, bold=True, align="center")
    draw(pen, rows, boxes.body, fonts.body)
    if boxes.signatures is not None and last:
        _signatures(pen, boxes.signatures, layout, part.signers, decorations.sign_hint)
    _footer(pen, boxes.footer, layout, decorations, page_label)


def _header(
    pen: Pen, box: Box, layout: Layout, part: PartContent, continued: bool, decorations: Decorations
) -> None:
    fonts = layout.fonts
    subtitle = f"{part.subtitle} {decorations.continued}" if continued else part.subtitle
    lines = [
        (part.unit_line, fonts.small, False),
        (part.title, fonts.title, True),
        (subtitle, fonts.body, False),
    ]
    if decorations.copy_mark:
        lines.append((decorations.copy_mark, fonts.title, True))
    top = box.y
    with pen.within(box):
        for text, size, bold in lines:
            remaining = Box(box.x, top, box.width, box.bottom - top)
            if remaining.height < pen.line_height(min(size, 4.0)):
                break
            top += pen.text_block(text, remaining, size, bold=bold)


def _signatures(
    pen: Pen, box: Box, layout: Layout, signers: tuple[tuple[str, Party], ...], hint: str
) -> None:
    fonts = layout.fonts
    width = (box.width - SIGNATURE_GAP * (len(signers) - 1)) / len(signers)
    with pen.within(box):
        for index, (caption, party) in enumerate(signers):
            column = Box(box.x + index * (width + SIGNATURE_GAP), box.y, width, box.height)
            pen.rect(column, line_width=0.15)
            inner = column.inset(0.8)
            top = inner.y
            top += pen.text_block(
                caption,
                Box(inner.x, top, inner.width, inner.height / 3),
                fonts.body,
                bold=True,
                align="center",
            )
            top += pen.text_block(
                hint, Box(inner.x, top, inner.width, inner.height / 4), fonts.small, align="center"
            )
            name_height = pen.line_height(fonts.body)
            name_top = inner.bottom - name_height
            pen.text_block(
                party.name,
                Box(inner.x, name_top, inner.width, name_height),
                fonts.body,
                bold=True,
                align="center",
            )
            if party.signature_png and name_top - top > 2:
                pen.image(party.signature_png, Box(inner.x, top, inner.width, name_top - top))


def _footer(pen: Pen, box: Box, layout: Layout, decorations: Decorations, page_label: str) -> None:
    size = layout.fonts.small
    texts = (
        [decorations.copy_mark, decorations.footer]
        if decorations.copy_mark
        else [decorations.footer]
    )
    with pen.within(box):
        page_width = pen.width(page_label, size) + 1.0
        pen.text(page_label, box.x, box.y, size, align="right", width=box.width)
        left = Box(box.x, box.y, box.width - page_width, box.height)
        _, lines = pen.fit(" · ".join(texts), left, size, min_size=size, max_lines=1)
        for line in lines:
            pen.text(line, left.x, left.y, size)
