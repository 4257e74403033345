"""Drawing on a reportlab canvas in millimetres from the page's top-left corner.

Every drawing call records the box it covers, so tests (and a cautious
caller) can check that nothing lands outside the page or outside the box it
was meant for (``within``). Text is normalised to NFC first: a name typed as
base letter plus combining marks would otherwise print its accents loose and
extract differently from the same name typed precomposed.
"""

from __future__ import annotations

import io
import math
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal, NamedTuple

from reportlab.lib.rl_accel import fp_str
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from postal_tracker.slips.font_subsets import SubsetEncoder
from postal_tracker.slips.fonts import FontNames
from postal_tracker.slips.layouts import LINE_SPACING, PT_TO_MM, Box, Page
from postal_tracker.slips.qr import QrSymbol, path_operators

# Line width of a synthetic bold glyph's outline, as a fraction of the font size.
SYNTHETIC_BOLD_STROKE = 0.035

MM = 72 / 25.4  # points per millimetre
ELLIPSIS = "…"
Align = Literal["left", "center", "right"]


class Drawn(NamedTuple):  # a tuple: a slip records a few hundred of them
    page: int
    kind: str
    box: Box


def clean(text: str) -> str:
    """NFC, with runs of white space (new lines included) made one space."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def _true_type(name: str) -> TTFont:
    font = pdfmetrics.getFont(name)
    if not isinstance(font, TTFont):
        raise TypeError(f"font {name} is not a TrueType font")
    return font


class Pen:
    """Draws on ``canvas`` and remembers what it drew where."""

    def __init__(self, canvas: Canvas, page: Page, fonts: FontNames) -> None:
        self.canvas = canvas
        self.page = page
        self.fonts = fonts
        self.page_number = 1
        self.drawn: list[Drawn] = []
        self.overflows: list[str] = []
        self._bounds: Box | None = None
        self._widths: dict[tuple[str, bool], float] = {}  # text width at 1 pt, this render only
        doc = canvas._doc  # type: ignore[attr-defined]
        names = {fonts.regular, fonts.bold}
        encoders = {name: SubsetEncoder(_true_type(name), doc) for name in names}
        self._encoders = {bold: encoders[self.font(bold)] for bold in (False, True)}
        self._text: list[str] = []  # this page's text operators
        # font subset, size, gray, synthetic bold
        self._text_state: tuple[str, float, float, bool] | None = None
        self._stroke: float | None = None  # line width set on the canvas, if known
        self._qr_forms: dict[str, str] = {}  # symbol's text: form name
        face = self._encoders[False].font.face
        ascent, descent = face.ascent / 1000, -face.descent / 1000
        # Baseline offset in font sizes from the top of a line box, centring
        # the glyphs' full height (accents on capitals included) in the line.
        self._baseline = ascent + (LINE_SPACING - ascent - descent) / 2

    # -- bookkeeping ---------------------------------------------------------

    def next_page(self) -> None:
        self.finish_page()
        self.canvas.showPage()
        self._stroke = None  # a new page starts with the default graphics state
        self.page_number += 1

    def finish_page(self) -> None:
        """Put the page's text on it. Text is gathered in one text object per
        page, drawn after (so above) the page's lines and fills: a fraction
        of the operators one ``drawString`` per line would write."""
        if self._text:
            self._text.append("ET")
            self.canvas.addLiteral("\n".join(self._text))
            self._text = []
            self._text_state = None

    @contextmanager
    def within(self, box: Box) -> Iterator[None]:
        """Record as an overflow anything drawn outside ``box`` meanwhile."""
        previous, self._bounds = self._bounds, box
        try:
            yield
        finally:
            self._bounds = previous

    def _record(self, kind: str, box: Box) -> None:
        self.drawn.append(Drawn(self.page_number, kind, box))
        if self._bounds is not None and not self._bounds.contains(box):
            self.overflows.append(f"page {self.page_number}: {kind} {box} outside {self._bounds}")

    def _x(self, x: float) -> float:
        return x * MM

    def _y(self, y: float) -> float:
        return (self.page.height - y) * MM

    # -- text ----------------------------------------------------------------

    def font(self, bold: bool) -> str:
        return self.fonts.bold if bold else self.fonts.regular

    def line_height(self, size: float) -> float:
        return size * LINE_SPACING * PT_TO_MM

    def width(self, text: str, size: float, bold: bool = False) -> float:
        key = (text, bold)
        unit = self._widths.get(key)
        if unit is None:
            unit = self._widths[key] = pdfmetrics.stringWidth(text, self.font(bold), 1.0)
        return unit * size * PT_TO_MM

    def text(
        self,
        text: str,
        x: float,
        top: float,
        size: float,
        *,
        bold: bool = False,
        align: Align = "left",
        width: float = 0.0,
        gray: float = 0.0,
    ) -> None:
        """One line whose line box starts at ``top``; ``align`` within ``width``."""
        text = clean(text)
        if not text:
            return
        text_width = self.width(text, size, bold)
        if align == "center":
            x += (width - text_width) / 2
        elif align == "right":
            x += width - text_width
        ops = self._text
        if not ops:
            ops.append("BT")
        y = top + size * PT_TO_MM * self._baseline
        ops.append(f"1 0 0 1 {fp_str(self._x(x), self._y(y))} Tm")
        # Operators written directly: a reportlab text object's per-call
        # bookkeeping cost more than the rest of drawing a line.
        stroked = bold and self.fonts.bold == self.fonts.regular
        for name, string in self._encoders[bold].runs(text):
            state = (name, size, gray, stroked)
            if state != self._text_state:
                self._set_text_state(state)
            ops.append(f"({string}) Tj")
        self._record("text", Box(x, top, text_width, self.line_height(size)))

    def _set_text_state(self, state: tuple[str, float, float, bool]) -> None:
        name, size, gray, stroked = state
        previous, ops = self._text_state, self._text
        if previous is None or state[:2] != previous[:2]:
            ops.append(f"{name} {fp_str(size)} Tf")
        if previous is None or gray != previous[2]:
            ops.append(f"{fp_str(gray)} g {fp_str(gray)} G")
        if previous is None or stroked != previous[3] or (stroked and size != previous[1]):
            # Synthetic bold: fill and stroke the glyphs with a thin line.
            ops.append("2 Tr" if stroked else "0 Tr")
            if stroked:
                ops.append(f"{fp_str(size * SYNTHETIC_BOLD_STROKE)} w")
        self._text_state = state

    def wrap(
        self, text: str, size: float, width: float, *, bold: bool = False, max_lines: int = 3
    ) -> list[str]:
        """``text`` broken at spaces into lines no wider than ``width``, at most
        ``max_lines`` of them; a word or a last line that does not fit ends in
        an ellipsis."""
        text = clean(text)
        if self.width(text, size, bold) <= width:
            return [text]  # most fields: no need to measure word by word
        space = self.width(" ", size, bold)
        lines: list[str] = []
        words: list[str] = []
        used = 0.0
        for word in text.split(" "):
            word_width = self.width(word, size, bold)
            if words and used + space + word_width > width:
                lines.append(" ".join(words))
                words, used = [], 0.0
            used += (space if words else 0.0) + word_width
            words.append(word)
        lines.append(" ".join(words))
        if len(lines) > max_lines:
            lines[max_lines - 1] = " ".join(lines[max_lines - 1 :]) + ELLIPSIS
            del lines[max_lines:]
        return [self._shorten(line, size, width, bold) for line in lines]

    def _shorten(self, line: str, size: float, width: float, bold: bool) -> str:
        if self.width(line, size, bold) <= width:
            return line
        line = line.removesuffix(ELLIPSIS)
        low, high = 0, len(line)
        while low < high:  # the longest prefix that fits with the ellipsis
            middle = (low + high + 1) // 2
            if self.width(line[:middle].rstrip() + ELLIPSIS, size, bold) <= width:
                low = middle
            else:
                high = middle - 1
        return line[:low].rstrip() + ELLIPSIS

    def fit(
        self,
        text: str,
        box: Box,
        size: float,
        *,
        bold: bool = False,
        min_size: float = 4.0,
        max_lines: int = 3,
    ) -> tuple[float, list[str]]:
        """The largest font size up to ``size`` at which ``text`` fits ``box``
        (wrapped to at most ``max_lines``), and its lines."""
        while True:
            lines = self.wrap(text, size, box.width, bold=bold, max_lines=max_lines)
            fits = len(lines) * self.line_height(size) <= box.height and not any(
                ELLIPSIS in line for line in lines
            )
            if fits or size <= min_size:
                while lines and len(lines) * self.line_height(size) > box.height:
                    lines.pop()
                return size, lines
            size = max(min_size, size - 0.5)

    def text_block(
        self,
        text: str,
        box: Box,
        size: float,
        *,
        bold: bool = False,
        align: Align = "left",
        min_size: float = 4.0,
    ) -> float:
        """``text`` fitted into ``box``, top-aligned; returns the height used."""
        size, lines = self.fit(text, box, size, bold=bold, min_size=min_size)
        top = box.y
        for line in lines:
            self.text(line, box.x, top, size, bold=bold, align=align, width=box.width)
            top += self.line_height(size)
        return top - box.y

    def diagonal_text(self, text: str, box: Box, *, gray: float, bold: bool = True) -> None:
        """``text`` as large as fits along ``box``'s diagonal (a watermark)."""
        text = clean(text)
        angle = math.atan2(box.height, box.width)
        cos, sin = math.cos(angle), math.sin(angle)
        unit_width = self.width(text, 1.0, bold)
        unit_height = LINE_SPACING * PT_TO_MM
        # The rotated line box must fit: w*cos + h*sin <= W and w*sin + h*cos <= H.
        size = 0.9 * min(
            box.width / (unit_width * cos + unit_height * sin),
            box.height / (unit_width * sin + unit_height * cos),
        )
        w, h = unit_width * size, unit_height * size
        extent_w, extent_h = w * cos + h * sin, w * sin + h * cos
        cx, cy = box.x + box.width / 2, box.y + box.height / 2
        canvas = self.canvas
        canvas.saveState()
        canvas.setFillGray(gray)
        canvas.setFont(self.font(bold), size)
        canvas.translate(self._x(cx), self._y(cy))
        canvas.rotate(math.degrees(angle))
        canvas.drawCentredString(0, -size * (self._baseline - LINE_SPACING / 2), text)
        canvas.restoreState()
        self._record("watermark", Box(cx - extent_w / 2, cy - extent_h / 2, extent_w, extent_h))

    # -- lines, boxes, images, QR -----------------------------------------------

    def rect(
        self,
        box: Box,
        *,
        line_width: float = 0.2,
        fill_gray: float | None = None,
        stroke: bool = True,
    ) -> None:
        canvas = self.canvas
        self._line_width(line_width)
        if fill_gray is not None:
            canvas.setFillGray(fill_gray)
        canvas.rect(
            self._x(box.x),
            self._y(box.bottom),
            box.width * MM,
            box.height * MM,
            stroke=int(stroke),
            fill=int(fill_gray is not None),
        )
        self._record("rect", box)

    def line(
        self,
        x0: float,
        y0: float,
        x1: float,
        y1: float,
        *,
        line_width: float = 0.2,
        dash: bool = False,
    ) -> None:
        canvas = self.canvas
        self._line_width(line_width)
        canvas.setDash(*((2 * MM, 1.5 * MM) if dash else ()))
        canvas.line(self._x(x0), self._y(y0), self._x(x1), self._y(y1))
        canvas.setDash()
        self._record("line", Box(min(x0, x1), min(y0, y1), abs(x1 - x0), abs(y1 - y0)))

    def _line_width(self, width: float) -> None:
        # Strokes are always black (the default); only the width changes.
        if width != self._stroke:
            self.canvas.setLineWidth(width * MM)
            self._stroke = width

    def image(self, png: bytes, box: Box) -> None:
        """A raster image scaled to fit ``box``, centred, aspect kept.
        ``ValueError`` if ``png`` is not an image."""
        try:
            reader = ImageReader(io.BytesIO(png))
            pixel_width, pixel_height = reader.getSize()
        except Exception as error:  # PIL raises many types for bad data
            raise ValueError(f"signature image is not a readable PNG: {error}") from error
        scale = min(box.width / pixel_width, box.height / pixel_height)
        width, height = pixel_width * scale, pixel_height * scale
        x, y = box.x + (box.width - width) / 2, box.y + (box.height - height) / 2
        self.canvas.drawImage(
            reader, self._x(x), self._y(y + height), width * MM, height * MM, mask="auto"
        )
        self._record("image", Box(x, y, width, height))

    def qr(self, symbol: QrSymbol, box: Box, *, reuse: bool = False) -> Box:
        """``symbol`` as large as fits ``box``, centred, quiet zone included;
        returns the symbol's own box (quiet zone excluded). With ``reuse`` the
        symbol's paths are written once per document (a form XObject) however
        often it is drawn, as slips' parts draw one symbol each."""
        side = min(box.width, box.height)
        module = side / symbol.size_with_quiet_zone
        quiet = (symbol.size_with_quiet_zone - symbol.size) / 2 * module
        left = box.x + (box.width - side) / 2
        top = box.y + (box.height - side) / 2
        canvas = self.canvas
        form = self._qr_form(symbol) if reuse else None
        canvas.saveState()
        canvas.setFillGray(0)
        # One module becomes one unit, y pointing down, origin at the symbol.
        canvas.transform(
            module * MM, 0, 0, -module * MM, self._x(left + quiet), self._y(top + quiet)
        )
        if form is None:
            canvas.addLiteral(path_operators(symbol))
        else:
            canvas.doForm(form)
        canvas.restoreState()
        self._record("qr_quiet_zone", Box(left, top, side, side))
        symbol_box = Box(left + quiet, top + quiet, side - 2 * quiet, side - 2 * quiet)
        self._record("qr", symbol_box)
        return symbol_box

    def _qr_form(self, symbol: QrSymbol) -> str:
        name = self._qr_forms.get(symbol.text)
        if name is None:
            name = self._qr_forms[symbol.text] = f"QR{len(self._qr_forms) + 1}"
            canvas = self.canvas
            canvas.beginForm(name, 0, 0, symbol.size, symbol.size)
            canvas.addLiteral(path_operators(symbol))
            canvas.endForm()
        return name
