"""The one way every paper is drawn: reportlab's public API, in millimetres
from the page's top-left corner.

Slips and labels are placed box by box on a canvas (``Paper``); papers that
simply run down the page (the apology slip, the run list, the delivery slip)
are a platypus story (``render_story``). Both use the same fonts, styles and
metadata, and both are deterministic: reportlab's ``invariant`` mode fixes
the creation date and the document id, so the same input gives the same
bytes (slips are archived by SHA-256 and a reprint must match).

Every placement is recorded (``Drawn``) and checked against the box it was
meant for: text too large for its box is shrunk by platypus (``KeepInFrame``),
and anything that still does not fit is reported in ``Rendered.overflows``.
"""

from __future__ import annotations

import io
import math
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple
from xml.sax.saxutils import escape

from reportlab.lib.colors import Color
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfmetrics import getAscentDescent, stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Frame, KeepInFrame, Paragraph, SimpleDocTemplate

from postal_tracker.slips.fonts import DEFAULT_FONTS, FontFiles, FontNames, register_fonts
from postal_tracker.slips.layouts import LINE_SPACING, Box, LayoutError, Page
from postal_tracker.slips.qr import QrSymbol

MM = 72 / 25.4  # points per millimetre
AUTHOR = "Postal Tracker"
PAGE_COUNT_FORM = "PageCount"
Align = Literal["left", "center", "right"]
VAlign = Literal["top", "bottom"]
# reportlab's TA_LEFT, TA_CENTER and TA_RIGHT: a paragraph takes only these numbers.
_ALIGNMENTS: dict[str, Literal[0, 1, 2]] = {"left": 0, "center": 1, "right": 2}


class Line(NamedTuple):
    """A line of text as ``Paper.lines`` draws it."""

    text: str
    size: float
    bold: bool = False
    align: Align = "left"


class Drawn(NamedTuple):
    """What was placed where: a text, the QR, an image, a rule, a page's body."""

    page: int
    kind: str
    box: Box


@dataclass(frozen=True)
class Rendered:
    """A rendered PDF and what was drawn where (for checks and tests)."""

    pdf: bytes
    pages: int
    drawn: tuple[Drawn, ...]
    overflows: tuple[str, ...]  # anything drawn outside its box; empty when all is well


def clean(text: str) -> str:
    """NFC, with runs of white space (new lines included) made one space: a
    name typed as base letter plus combining marks would otherwise print its
    accents loose and extract differently from the same name typed precomposed."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def markup(text: str) -> str:
    """``text`` cleaned and escaped for a ``Paragraph``."""
    return escape(clean(text))


@dataclass(frozen=True)
class Styles:
    """Paragraph styles in the papers' fonts."""

    fonts: FontNames

    def text(
        self, size: float, *, bold: bool = False, align: Align = "left", gray: float = 0.0
    ) -> ParagraphStyle:
        name = f"{'bold' if bold else 'regular'}-{size:g}-{align}-{gray:g}"
        return ParagraphStyle(
            name,
            fontName=self.fonts.bold if bold else self.fonts.regular,
            fontSize=size,
            leading=size * LINE_SPACING,
            alignment=_ALIGNMENTS[align],
            textColor=Color(gray, gray, gray),
        )

    def paragraph(
        self, text: str, size: float, *, bold: bool = False, align: Align = "left"
    ) -> Paragraph:
        return Paragraph(markup(text), self.text(size, bold=bold, align=align))


def new_canvas(page: Page, title: str, fonts: FontFiles = DEFAULT_FONTS) -> Paper:
    """A fresh deterministic canvas of ``page``'s size."""
    return Paper(page, title, register_fonts(fonts))


class Paper:
    """A canvas of one document, its page count and what was drawn where."""

    def __init__(self, page: Page, title: str, fonts: FontNames) -> None:
        self.page = page
        self.fonts = fonts
        self.styles = Styles(fonts)
        self.buffer = io.BytesIO()
        self.canvas = Canvas(
            self.buffer,
            pagesize=(page.width * MM, page.height * MM),
            invariant=True,
            pageCompression=True,
            # Not reportlab's default Helvetica, which every page would set and
            # every PDF would carry as an extra font resource.
            initialFontName=fonts.regular,  # type: ignore[arg-type]  # the stubs say float
        )
        self.canvas.setTitle(title)
        self.canvas.setAuthor(AUTHOR)
        self.canvas.setCreator(AUTHOR)
        self.page_number = 1
        self.drawn: list[Drawn] = []
        self.overflows: list[str] = []
        self._forms: dict[str, str] = {}  # a QR symbol's text: its form's name

    # -- pages -----------------------------------------------------------------

    def next_page(self) -> None:
        self.canvas.showPage()
        self.page_number += 1

    def finish(self, *, page_count_size: float | None = None) -> Rendered:
        """Close the document; with ``page_count_size`` the page count drawn by
        ``page_count`` is filled in (the count is known only now)."""
        canvas = self.canvas
        canvas.showPage()
        if page_count_size is not None:
            canvas.beginForm(PAGE_COUNT_FORM)
            canvas.setFont(self.fonts.regular, page_count_size)
            canvas.drawString(0, 0, str(self.page_number))
            canvas.endForm()
        canvas.save()
        return Rendered(
            self.buffer.getvalue(), self.page_number, tuple(self.drawn), tuple(self.overflows)
        )

    # -- placing ---------------------------------------------------------------

    def _record(self, kind: str, drawn: Box, within: Box) -> None:
        self.drawn.append(Drawn(self.page_number, kind, drawn))
        if not within.contains(drawn):
            self.overflows.append(f"page {self.page_number}: {kind} {drawn} outside {within}")

    def _x(self, x: float) -> float:
        return x * MM

    def _y(self, y: float) -> float:
        return (self.page.height - y) * MM

    def place(
        self, flowables: Sequence[Flowable], box: Box, *, kind: str = "text", valign: VAlign = "top"
    ) -> float:
        """``flowables`` in ``box`` from its top, shrunk to fit; the height used (mm)."""
        fitted = KeepInFrame(box.width * MM, box.height * MM, list(flowables), mode="shrink")
        width, height = fitted.wrapOn(self.canvas, box.width * MM, box.height * MM)
        top = box.y + (box.height - height / MM) if valign == "bottom" else box.y
        fitted.drawOn(self.canvas, self._x(box.x), self._y(top) - height)
        self._record(kind, Box(box.x, top, width / MM, height / MM), box)
        return height / MM

    def text(
        self, text: str, box: Box, size: float, *, bold: bool = False, align: Align = "left"
    ) -> float:
        """``text`` in ``box``; the height used (mm)."""
        return self.lines([Line(text, size, bold, align)], box)

    def lines(self, lines: Sequence[Line], box: Box, *, valign: VAlign = "top") -> float:
        """``lines`` one under the other in ``box``; the height used (mm).

        Lines that each fit the width and together the height are drawn as
        they are; otherwise they are wrapped and shrunk to fit as paragraphs
        (``place``), which costs ten times as much."""
        texts = [clean(line.text) for line in lines]
        widths = [
            stringWidth(text, self.fonts.bold if line.bold else self.fonts.regular, line.size)
            for text, line in zip(texts, lines, strict=True)
        ]
        height = sum(line.size * LINE_SPACING for line in lines) / MM
        if max(widths) > box.width * MM or height > box.height:
            paragraphs = [
                self.styles.paragraph(text, line.size, bold=line.bold, align=line.align)
                for text, line in zip(texts, lines, strict=True)
            ]
            return self.place(paragraphs, box, valign=valign)
        top = box.bottom - height if valign == "bottom" else box.y
        y = self._y(top)
        canvas = self.canvas
        for text, line in zip(texts, lines, strict=True):
            font = self.fonts.bold if line.bold else self.fonts.regular
            ascent, descent = getAscentDescent(font, line.size)
            leading = line.size * LINE_SPACING
            # The glyphs' full height (accents on capitals too) centred in the line.
            baseline = y - (leading + ascent + descent) / 2
            canvas.setFont(font, line.size)
            if line.align == "center":
                canvas.drawCentredString(self._x(box.x) + box.width * MM / 2, baseline, text)
            elif line.align == "right":
                canvas.drawRightString(self._x(box.right), baseline, text)
            else:
                canvas.drawString(self._x(box.x), baseline, text)
            y -= leading
        widest = max(widths) / MM
        offset = {"left": 0.0, "center": (box.width - widest) / 2, "right": box.width - widest}
        self._record("text", Box(box.x + offset[lines[0].align], top, widest, height), box)
        return height

    def flow(self, story: list[Flowable], box: Box) -> None:
        """Fill ``box`` from the front of ``story``, splitting the flowable that
        does not fit (platypus splits tables by row, repeating their header);
        what is drawn leaves ``story``, the rest is for the next page.

        ``LayoutError`` if a flowable fits neither an empty box nor split."""
        frame = Frame(
            self._x(box.x),
            self._y(box.bottom),
            box.width * MM,
            box.height * MM,
            leftPadding=0,
            rightPadding=0,
            topPadding=0,
            bottomPadding=0,
        )
        empty = True
        while story:
            if frame.add(story[0], self.canvas, trySplit=1):
                story.pop(0)
                empty = False
                continue
            pieces = frame.split(story[0], self.canvas)
            if len(pieces) > 1 and frame.add(pieces[0], self.canvas, trySplit=1):
                story[0:1] = pieces[1:]
                empty = False
                continue
            if empty:
                raise LayoutError(
                    f"page {self.page_number}: a block of the body does not fit its "
                    f"{box.width:g} x {box.height:g} mm box even on a page of its own"
                )
            break
        self._record("body", box, box)

    def page_count(self, label: str, box: Box, size: float) -> float:
        """``label`` (``"Page 2/"``) right-aligned in ``box`` followed by the
        document's page count; the width used (mm)."""
        canvas = self.canvas
        digits = stringWidth("00", self.fonts.regular, size)
        width = stringWidth(label, self.fonts.regular, size) + digits
        x = self._x(box.right) - width
        baseline = self._y(box.y) - size
        canvas.setFont(self.fonts.regular, size)
        canvas.setFillGray(0)
        canvas.drawString(x, baseline, label)
        canvas.saveState()
        canvas.translate(x + width - digits, baseline)
        canvas.doForm(PAGE_COUNT_FORM)
        canvas.restoreState()
        used = Box(box.right - width / MM, box.y, width / MM, size * LINE_SPACING / MM)
        self._record("text", used, box)
        return width / MM

    # -- lines, images, marks --------------------------------------------------

    def rect(self, box: Box, *, line_width: float = 0.15) -> None:
        self.canvas.setLineWidth(line_width * MM)
        self.canvas.rect(self._x(box.x), self._y(box.bottom), box.width * MM, box.height * MM)
        self._record("rect", box, box)

    def cut_line(self, y: float, box: Box) -> None:
        """A dashed line across ``box`` at ``y``."""
        canvas = self.canvas
        canvas.saveState()
        canvas.setLineWidth(0.2 * MM)
        canvas.setDash(2 * MM, 1.5 * MM)
        canvas.line(self._x(box.x), self._y(y), self._x(box.right), self._y(y))
        canvas.restoreState()
        self._record("line", Box(box.x, y, box.width, 0), box)

    def image(self, png: bytes, box: Box) -> None:
        """A raster image scaled to fit ``box``, centred, aspect kept.
        ``ValueError`` if ``png`` is not an image."""
        reader = read_image(png)
        pixel_width, pixel_height = reader.getSize()
        scale = min(box.width / pixel_width, box.height / pixel_height)
        width, height = pixel_width * scale, pixel_height * scale
        x, y = box.x + (box.width - width) / 2, box.y + (box.height - height) / 2
        self.canvas.drawImage(
            reader, self._x(x), self._y(y + height), width * MM, height * MM, mask="auto"
        )
        self._record("image", Box(x, y, width, height), box)

    def watermark(self, text: str, box: Box, *, gray: float) -> None:
        """``text`` in bold, as large as fits along ``box``'s diagonal."""
        text = clean(text)
        angle = math.atan2(box.height, box.width)
        cos, sin = math.cos(angle), math.sin(angle)
        unit_width = stringWidth(text, self.fonts.bold, 1.0) / MM
        unit_height = LINE_SPACING / MM
        # The rotated line box must fit: w*cos + h*sin <= W and w*sin + h*cos <= H.
        size = 0.9 * min(
            box.width / (unit_width * cos + unit_height * sin),
            box.height / (unit_width * sin + unit_height * cos),
        )
        extent_w = (unit_width * cos + unit_height * sin) * size
        extent_h = (unit_width * sin + unit_height * cos) * size
        cx, cy = box.x + box.width / 2, box.y + box.height / 2
        canvas = self.canvas
        canvas.saveState()
        canvas.setFillGray(gray)
        canvas.setFont(self.fonts.bold, size)
        canvas.translate(self._x(cx), self._y(cy))
        canvas.rotate(math.degrees(angle))
        canvas.drawCentredString(0, -size * 0.35, text)
        canvas.restoreState()
        self._record(
            "watermark", Box(cx - extent_w / 2, cy - extent_h / 2, extent_w, extent_h), box
        )

    def qr(self, symbol: QrSymbol, box: Box, *, reuse: bool = False) -> Box:
        """``symbol`` as large as fits ``box``, centred, quiet zone included;
        returns the symbol's own box. With ``reuse`` the symbol is drawn once
        per document (a form) however often it is placed, as a slip's parts
        each place the same symbol."""
        side = min(box.width, box.height)
        module = side / symbol.size_with_quiet_zone
        quiet = (symbol.size_with_quiet_zone - symbol.size) / 2 * module
        left = box.x + (box.width - side) / 2
        top = box.y + (box.height - side) / 2
        canvas = self.canvas
        canvas.saveState()
        canvas.setFillGray(0)
        # One module becomes one unit, y pointing down, origin at the symbol.
        canvas.transform(
            module * MM, 0, 0, -module * MM, self._x(left + quiet), self._y(top + quiet)
        )
        if reuse:
            name = self._forms.get(symbol.text)
            if name is None:
                name = self._forms[symbol.text] = f"QR{len(self._forms) + 1}"
                canvas.beginForm(name, 0, 0, symbol.size, symbol.size)
                _fill_runs(canvas, symbol)
                canvas.endForm()
            canvas.doForm(name)
        else:
            _fill_runs(canvas, symbol)
        canvas.restoreState()
        self._record("qr_quiet_zone", Box(left, top, side, side), box)
        symbol_box = Box(left + quiet, top + quiet, side - 2 * quiet, side - 2 * quiet)
        self._record("qr", symbol_box, box)
        return symbol_box


def _fill_runs(canvas: Canvas, symbol: QrSymbol) -> None:
    # One path filled once: adjacent runs merge without the hairline seams
    # separate fills show when anti-aliased.
    path = canvas.beginPath()
    for row, runs in enumerate(symbol.runs):
        for start, length in runs:
            path.rect(start, row, length, 1)
    canvas.drawPath(path, stroke=0, fill=1)


def read_image(png: bytes) -> ImageReader:
    """``png`` ready to draw; ``ValueError`` if it is not a readable image."""
    try:
        reader = ImageReader(io.BytesIO(png))
        reader.getSize()
    except Exception as error:  # PIL raises many types for bad data
        raise ValueError(f"signature image is not a readable PNG: {error}") from error
    return reader


def render_story(
    story: Callable[[Styles], list[Flowable]],
    title: str,
    *,
    pagesize: tuple[float, float],
    margin_mm: float,
    fonts: FontFiles = DEFAULT_FONTS,
    on_page: Callable[[Canvas, Styles, int], None] | None = None,
) -> bytes:
    """A paper that runs down the page: ``story`` flowed over as many pages
    as it needs by platypus; ``on_page`` draws what every page repeats."""
    styles = Styles(register_fonts(fonts))
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=pagesize,
        leftMargin=margin_mm * MM,
        rightMargin=margin_mm * MM,
        topMargin=margin_mm * MM,
        bottomMargin=margin_mm * MM,
        title=title,
        author=AUTHOR,
        creator=AUTHOR,
        invariant=True,
        pageCompression=True,
        initialFontName=styles.fonts.regular,
    )

    def decorate(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        if on_page is not None:
            on_page(canvas, styles, canvas.getPageNumber())

    document.build(story(styles), onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue()
