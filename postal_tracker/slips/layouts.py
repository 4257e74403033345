"""Paper stocks and printers as data: one TOML file per stock in ``labels/``.

A file gives the page size, a margin nothing may be drawn in, font sizes, and
the boxes (in millimetres from the page's top-left corner) where each part of
a document goes. Adding a stock is adding a file; the format is described at
the top of ``labels/a4-slip.toml``.

``load_layouts`` checks everything the renderer relies on, so a file that
loads renders inside its page. A bad file raises ``LayoutError`` naming the
file, the table and what to change.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Any

from postal_tracker.resources import resource

DEFAULT_DIRECTORY = resource("labels")
PT_TO_MM = 25.4 / 72
LINE_SPACING = 1.2  # line height as a multiple of the font size
MIN_QR_SYMBOL_MM = 25.0
# A version 10 symbol is 57 modules wide plus 2 x 4 of quiet zone; the box must
# give the largest symbol a slip URL can make at least 25 mm.
MIN_QR_BOX_MM = MIN_QR_SYMBOL_MM * (57 + 8) / 57
MIN_BODY_LINES = 8  # a table header and its tallest row (5 lines and padding) always fit
_EPSILON = 1e-6


class LayoutError(Exception):
    """A layout file cannot be used; the message names the file and the fix."""


@dataclass(frozen=True)
class Box:
    """A rectangle in millimetres, ``x`` and ``y`` from the top-left corner."""

    x: float
    y: float
    width: float
    height: float

    @property
    def right(self) -> float:
        return self.x + self.width

    @property
    def bottom(self) -> float:
        return self.y + self.height

    def contains(self, other: Box) -> bool:
        return (
            other.x >= self.x - _EPSILON
            and other.y >= self.y - _EPSILON
            and other.right <= self.right + _EPSILON
            and other.bottom <= self.bottom + _EPSILON
        )

    def overlaps(self, other: Box) -> bool:
        return (
            self.x < other.right - _EPSILON
            and other.x < self.right - _EPSILON
            and self.y < other.bottom - _EPSILON
            and other.y < self.bottom - _EPSILON
        )

    def moved(self, dx: float, dy: float) -> Box:
        return Box(self.x + dx, self.y + dy, self.width, self.height)

    def inset(self, by: float) -> Box:
        return Box(self.x + by, self.y + by, self.width - 2 * by, self.height - 2 * by)


@dataclass(frozen=True)
class Page:
    width: float
    height: float
    margin: float

    @property
    def printable(self) -> Box:
        """Where drawing is allowed: the page less its margin."""
        m = self.margin
        return Box(m, m, self.width - 2 * m, self.height - 2 * m)


@dataclass(frozen=True)
class Fonts:
    """Font sizes in points."""

    title: float
    body: float
    small: float
    code: float


@dataclass(frozen=True)
class PartLayout:
    """Where one part of a document goes (receipt, envelope label, handover)."""

    page: int  # 1-based page of the document's first sheet
    header: Box
    qr: Box
    code: Box
    body: Box
    footer: Box
    signatures: Box | None

    def boxes(self) -> dict[str, Box]:
        named = {
            "header": self.header,
            "qr": self.qr,
            "code": self.code,
            "body": self.body,
            "footer": self.footer,
        }
        if self.signatures is not None:
            named["signatures"] = self.signatures
        return named

    @property
    def area(self) -> Box:
        """The smallest box holding every box of the part."""
        boxes = list(self.boxes().values())
        x, y = min(b.x for b in boxes), min(b.y for b in boxes)
        return Box(x, y, max(b.right for b in boxes) - x, max(b.bottom for b in boxes) - y)


@dataclass(frozen=True)
class IntakeLayout:
    receipt: PartLayout
    envelope: PartLayout
    cut_line: float | None  # y of a dashed cut line on page 1, if the parts share it


@dataclass(frozen=True)
class LabelGrid:
    """Labels on a sheet, filled row by row; ``qr`` and ``code`` are relative
    to a label's top-left corner."""

    columns: int
    rows: int
    width: float
    height: float
    left: float
    top: float
    column_gap: float
    row_gap: float
    qr: Box
    code: Box

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    def cells(self) -> Iterator[Box]:
        """Each label's box on the page, in filling order."""
        for row in range(self.rows):
            for column in range(self.columns):
                yield Box(
                    self.left + column * (self.width + self.column_gap),
                    self.top + row * (self.height + self.row_gap),
                    self.width,
                    self.height,
                )


@dataclass(frozen=True)
class Layout:
    name: str
    source: Path
    description: str
    page: Page
    fonts: Fonts
    intake: IntakeLayout | None
    handover: PartLayout | None
    labels: LabelGrid | None


def load_layouts(directory: Path = DEFAULT_DIRECTORY) -> dict[str, Layout]:
    """Every ``*.toml`` in ``directory``, by file name without ``.toml``."""
    paths = sorted(directory.glob("*.toml"))
    if not paths:
        raise LayoutError(f"{directory}: no layout files (*.toml) found")
    return {path.stem: load_layout(path) for path in paths}


def load_layout(path: Path) -> Layout:
    """One layout file, checked; ``LayoutError`` if it cannot be used."""
    try:
        with path.open("rb") as file:
            data = tomllib.load(file)
    except OSError as error:
        raise LayoutError(f"{path}: cannot read the file: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise LayoutError(f"{path}: not valid TOML: {error}") from None
    return _Reader(path).layout(data)


class _Reader:
    """Reads one file's tables, raising LayoutError at the first problem."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, where: str, problem: str) -> LayoutError:
        return LayoutError(f"{self.path}: [{where}] {problem}")

    def layout(self, data: dict[str, Any]) -> Layout:
        self.keys(
            data, "top level", {"description", "page", "fonts"}, {"intake", "handover", "labels"}
        )
        description = data["description"]
        if not isinstance(description, str):
            raise self.fail("top level", "description must be text")
        page_table = self.table(data, "page", "top level")
        self.keys(page_table, "page", {"width", "height", "margin"})
        page = Page(
            width=self.number(page_table, "width", "page"),
            height=self.number(page_table, "height", "page"),
            margin=self.number(page_table, "margin", "page", allow_zero=True),
        )
        if page.printable.width <= 0 or page.printable.height <= 0:
            raise self.fail("page", "margin leaves no room to print on")
        fonts_table = self.table(data, "fonts", "top level")
        self.keys(fonts_table, "fonts", {"title", "body", "small", "code"})
        fonts = Fonts(**{k: self.number(fonts_table, k, "fonts", unit="pt") for k in fonts_table})
        if not {"intake", "handover", "labels"} & data.keys():
            raise self.fail("top level", "needs at least one of [intake], [handover], [labels]")
        intake = self.intake(data, page, fonts) if "intake" in data else None
        handover = None
        if "handover" in data:
            handover = self.part(self.table(data, "handover", "top level"), "handover", page, fonts)
        labels = (
            self.labels(self.table(data, "labels", "top level"), page) if "labels" in data else None
        )
        return Layout(self.path.stem, self.path, description, page, fonts, intake, handover, labels)

    def intake(self, data: dict[str, Any], page: Page, fonts: Fonts) -> IntakeLayout:
        table = self.table(data, "intake", "top level")
        self.keys(table, "intake", {"receipt", "envelope"}, {"cut_line"})
        receipt = self.part(self.table(table, "receipt", "intake"), "intake.receipt", page, fonts)
        envelope = self.part(
            self.table(table, "envelope", "intake"), "intake.envelope", page, fonts
        )
        if receipt.page == envelope.page:
            for a, b in ((a, b) for a in receipt.boxes().items() for b in envelope.boxes().items()):
                if a[1].overlaps(b[1]):
                    raise self.fail("intake", f"receipt {a[0]} overlaps envelope {b[0]}")
        cut_line = None
        if "cut_line" in table:
            cut_line = self.number(table, "cut_line", "intake")
            if not page.margin <= cut_line <= page.height - page.margin:
                raise self.fail("intake", "cut_line must lie on the page, inside its margin")
        return IntakeLayout(receipt, envelope, cut_line)

    def part(self, table: dict[str, Any], where: str, page: Page, fonts: Fonts) -> PartLayout:
        names = {"header", "qr", "code", "body", "footer"}
        self.keys(table, where, names | {"page"}, {"signatures"})
        number = table["page"]
        if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= 2:
            raise self.fail(where, f"page must be 1 or 2, got {number!r}")
        boxes = {
            name: self.box(table, name, where) for name in names | ({"signatures"} & table.keys())
        }
        for name, box in boxes.items():
            self.inside_printable(box, page, where, name)
        for (name_a, a), (name_b, b) in combinations(sorted(boxes.items()), 2):
            if a.overlaps(b):
                raise self.fail(where, f"{name_a} and {name_b} overlap; move one of them")
        self.qr_big_enough(boxes["qr"], where)
        line = fonts.body * LINE_SPACING * PT_TO_MM
        if boxes["body"].height < MIN_BODY_LINES * line - _EPSILON:
            raise self.fail(
                where,
                f"body is {boxes['body'].height:g} mm high; at {fonts.body:g} pt it must be at "
                f"least {MIN_BODY_LINES * line:.1f} mm ({MIN_BODY_LINES} lines)",
            )
        return PartLayout(
            page=number,
            header=boxes["header"],
            qr=boxes["qr"],
            code=boxes["code"],
            body=boxes["body"],
            footer=boxes["footer"],
            signatures=boxes.get("signatures"),
        )

    def labels(self, table: dict[str, Any], page: Page) -> LabelGrid:
        where = "labels"
        self.keys(
            table,
            where,
            {"columns", "rows", "width", "height", "left", "top", "qr", "code"},
            {"column_gap", "row_gap"},
        )
        counts = {}
        for key in ("columns", "rows"):
            value = table[key]
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise self.fail(where, f"{key} must be a whole number of at least 1, got {value!r}")
            counts[key] = value
        grid = LabelGrid(
            columns=counts["columns"],
            rows=counts["rows"],
            width=self.number(table, "width", where),
            height=self.number(table, "height", where),
            left=self.number(table, "left", where, allow_zero=True),
            top=self.number(table, "top", where, allow_zero=True),
            column_gap=self.number(table, "column_gap", where, allow_zero=True, default=0.0),
            row_gap=self.number(table, "row_gap", where, allow_zero=True, default=0.0),
            qr=self.box(table, "qr", where),
            code=self.box(table, "code", where),
        )
        label = Box(0, 0, grid.width, grid.height)
        for name, box in (("qr", grid.qr), ("code", grid.code)):
            if not label.contains(box):
                raise self.fail(
                    where, f"{name} box lies outside the {grid.width:g} x {grid.height:g} mm label"
                )
        if grid.qr.overlaps(grid.code):
            raise self.fail(where, "qr and code overlap; move one of them")
        self.qr_big_enough(grid.qr, where)
        sheet = Box(0, 0, page.width, page.height)
        for index, cell in enumerate(grid.cells(), start=1):
            if not sheet.contains(cell):
                raise self.fail(
                    where,
                    f"label {index} ({cell.x:g}..{cell.right:g} x {cell.y:g}..{cell.bottom:g} mm) "
                    f"runs off the {page.width:g} x {page.height:g} mm page; "
                    "check columns, rows, sizes, gaps, left and top",
                )
            for name, box in (("qr", grid.qr), ("code", grid.code)):
                self.inside_printable(
                    box.moved(cell.x, cell.y), page, where, f"{name} of label {index}"
                )
        return grid

    def inside_printable(self, box: Box, page: Page, where: str, name: str) -> None:
        printable = page.printable
        if printable.contains(box):
            return
        problems = []
        if box.x < printable.x - _EPSILON:
            problems.append(f"starts at x = {box.x:g} mm, left of the margin at {printable.x:g} mm")
        if box.y < printable.y - _EPSILON:
            problems.append(f"starts at y = {box.y:g} mm, above the margin at {printable.y:g} mm")
        if box.right > printable.right + _EPSILON:
            problems.append(
                f"ends at x = {box.right:g} mm, right of the margin at {printable.right:g} mm"
            )
        if box.bottom > printable.bottom + _EPSILON:
            problems.append(
                f"ends at y = {box.bottom:g} mm, below the margin at {printable.bottom:g} mm"
            )
        raise self.fail(
            where,
            f"{name} box is outside the page's printable area "
            f"({page.width:g} x {page.height:g} mm, margin {page.margin:g} mm): "
            + "; ".join(problems),
        )

    def qr_big_enough(self, box: Box, where: str) -> None:
        side = min(box.width, box.height)
        if side < MIN_QR_BOX_MM - _EPSILON:
            raise self.fail(
                where,
                f"qr box is {side:g} mm on its short side; a version 10 symbol with its quiet zone "
                f"needs {MIN_QR_BOX_MM:.1f} mm to print at least {MIN_QR_SYMBOL_MM:g} mm wide",
            )

    def table(self, data: Mapping[str, Any], key: str, where: str) -> dict[str, Any]:
        value = data[key]
        if not isinstance(value, dict):
            raise self.fail(where, f"{key} must be a table, got {_kind(value)}")
        return value

    def keys(
        self,
        data: Mapping[str, Any],
        where: str,
        required: set[str],
        optional: frozenset[str] | set[str] = frozenset(),
    ) -> None:
        missing = sorted(required - data.keys())
        if missing:
            raise self.fail(where, f"missing {', '.join(repr(k) for k in missing)}")
        unknown = sorted(data.keys() - required - optional)
        if unknown:
            allowed = ", ".join(sorted(required | optional))
            raise self.fail(
                where, f"unknown {', '.join(repr(k) for k in unknown)} (allowed: {allowed})"
            )

    def number(
        self,
        data: Mapping[str, Any],
        key: str,
        where: str,
        *,
        allow_zero: bool = False,
        unit: str = "mm",
        default: float | None = None,
    ) -> float:
        if key not in data and default is not None:
            return default
        value = data[key]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(where, f"{key} must be a number ({unit}), got {_kind(value)} {value!r}")
        if value < 0 or (value == 0 and not allow_zero):
            bound = "0 or more" if allow_zero else "more than 0"
            raise self.fail(where, f"{key} must be {bound} {unit}, got {value!r}")
        return float(value)

    def box(self, data: Mapping[str, Any], key: str, where: str) -> Box:
        value = data[key]
        if not isinstance(value, dict):
            raise self.fail(
                where,
                f"{key} must be a box {{ x = .., y = .., width = .., height = .. }} in mm, "
                f"got {_kind(value)}",
            )
        inner = f"{where}.{key}"
        self.keys(value, inner, {"x", "y", "width", "height"})
        return Box(
            x=self.number(value, "x", inner, allow_zero=True),
            y=self.number(value, "y", inner, allow_zero=True),
            width=self.number(value, "width", inner),
            height=self.number(value, "height", inner),
        )


def _kind(value: object) -> str:
    return {
        str: "text",
        bool: "true/false",
        int: "a number",
        float: "a number",
        list: "a list",
        dict: "a table",
    }.get(type(value), type(value).__name__)
