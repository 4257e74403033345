"""QR symbols for slips: built once with a fixed mask and drawn as vector
rectangles, or as a PNG for the web page.

A fixed mask skips ``qrcode``'s trial of all eight masks (five times faster);
every decoder reads any mask, and the printed symbol is large and crisp, so
the penalty score the trial optimises buys nothing here. Error correction is
M (15 % of the symbol may be damaged), a quiet zone of 4 modules is left
around the symbol.

Nothing is cached between calls: a symbol lives as long as its caller keeps it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Literal

import qrcode
import qrcode.constants
from PIL import Image
from qrcode.util import BIT_LIMIT_TABLE, MODE_ALPHA_NUM, QRData, length_in_bits

from postal_tracker.slips.token import QR_ALPHANUMERIC

ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_M
MASK_PATTERN = 0
QUIET_ZONE = 4  # modules, as ISO/IEC 18004 requires
_ALPHANUMERIC_MODE: Literal[2] = 2  # the stubs type MODE_ALPHA_NUM as a plain int
assert _ALPHANUMERIC_MODE == MODE_ALPHA_NUM


@dataclass(frozen=True)
class QrSymbol:
    """A QR symbol: its version and, per row, the dark runs ``(start, length)``
    in modules (quiet zone not included)."""

    text: str
    version: int
    size: int  # modules per side, without the quiet zone
    runs: tuple[tuple[tuple[int, int], ...], ...]

    @property
    def size_with_quiet_zone(self) -> int:
        return self.size + 2 * QUIET_ZONE

    def is_dark(self, row: int, column: int) -> bool:
        return any(start <= column < start + length for start, length in self.runs[row])


def make_qr(text: str) -> QrSymbol:
    """The smallest symbol at error correction M that holds ``text``;
    alphanumeric mode when ``text`` allows it (upper-case slip URLs do)."""
    if set(text) <= QR_ALPHANUMERIC:
        version = alphanumeric_version(len(text))
        code = qrcode.QRCode(
            version=version, error_correction=ERROR_CORRECTION, border=0, mask_pattern=MASK_PATTERN
        )
        code.add_data(QRData(text, mode=_ALPHANUMERIC_MODE))
        code.make(fit=False)
    else:
        code = qrcode.QRCode(error_correction=ERROR_CORRECTION, border=0, mask_pattern=MASK_PATTERN)
        code.add_data(text)
        code.make(fit=True)
    runs = tuple(_dark_runs(row) for row in code.modules)
    return QrSymbol(text=text, version=code.version, size=code.modules_count, runs=runs)


def alphanumeric_version(length: int) -> int:
    """The smallest version at error correction M holding ``length``
    alphanumeric characters. Computed here because qrcode's own search
    re-encodes the data and takes a third of the time of making the symbol."""
    data_bits = 11 * (length // 2) + 6 * (length % 2)
    limits = BIT_LIMIT_TABLE[ERROR_CORRECTION]
    for version in range(1, 41):
        needed = 4 + length_in_bits(_ALPHANUMERIC_MODE, version) + data_bits
        if needed <= limits[version]:
            return version
    raise ValueError(f"{length} characters do not fit any QR version")


def qr_png(text: str, module_px: int = 8) -> bytes:
    """A black-on-white PNG of ``text``'s symbol with its quiet zone, each module
    ``module_px`` pixels square."""
    symbol = make_qr(text)
    side = symbol.size_with_quiet_zone
    image = Image.new("1", (side, side), 1)
    pixels = image.load()
    assert pixels is not None
    for row, runs in enumerate(symbol.runs):
        for start, length in runs:
            for column in range(start, start + length):
                pixels[column + QUIET_ZONE, row + QUIET_ZONE] = 0
    image = image.resize((side * module_px, side * module_px), Image.Resampling.NEAREST)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _dark_runs(row: list[bool | None]) -> tuple[tuple[int, int], ...]:
    runs: list[tuple[int, int]] = []
    start = -1
    for column, dark in enumerate(row):
        if dark and start < 0:
            start = column
        elif not dark and start >= 0:
            runs.append((start, column - start))
            start = -1
    if start >= 0:
        runs.append((start, len(row) - start))
    return tuple(runs)
