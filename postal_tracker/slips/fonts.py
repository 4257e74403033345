"""The TrueType fonts slips are set in: DejaVu Sans, which has every
Vietnamese letter. Embedded (subset) as TrueType with a Unicode map, so the
PDF's text can be searched and copied.

The files come from Debian's ``fonts-dejavu-core`` package (installed by
``scripts/ensure-debian-packages``), never from the repository.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

DEFAULT_DIRECTORY = Path("/usr/share/fonts/truetype/dejavu")
REGULAR_FILE = "DejaVuSans.ttf"
BOLD_FILE = "DejaVuSans-Bold.ttf"
PACKAGE_HINT = "install Debian's fonts-dejavu-core package (sudo apt-get install fonts-dejavu-core)"


class FontNotFound(Exception):
    """A font file is missing or unreadable; the message says what to install."""


@dataclass(frozen=True)
class FontFiles:
    """Where the regular and bold faces are."""

    regular: Path
    bold: Path

    @classmethod
    def in_directory(
        cls, directory: Path = DEFAULT_DIRECTORY, *, synthetic_bold: bool = False
    ) -> FontFiles:
        """The DejaVu faces in ``directory``. With ``synthetic_bold`` the regular
        face also serves for bold, drawn thicker (see ``Pen.text``)."""
        regular = directory / REGULAR_FILE
        return cls(regular, regular if synthetic_bold else directory / BOLD_FILE)

    @property
    def synthetic_bold(self) -> bool:
        return self.bold == self.regular


@dataclass(frozen=True)
class FontNames:
    """The names the fonts are registered under with reportlab."""

    regular: str
    bold: str


# One embedded face per slip: a second font subset costs a sixth of a slip's
# rendering time, so bold is the regular face stroked (it reads the same).
DEFAULT_FONTS = FontFiles.in_directory(synthetic_bold=True)


def register_fonts(files: FontFiles = DEFAULT_FONTS) -> FontNames:
    """Register the two faces with reportlab (once per path) and return their names.

    Raises ``FontNotFound`` naming the package to install.
    """
    return FontNames(_register(files.regular), _register(files.bold))


def _register(path: Path) -> str:
    # reportlab's font registry is process-wide; a name derived from the path
    # keeps two configured paths from shadowing each other.
    name = "Slip-" + hashlib.sha256(str(path).encode()).hexdigest()[:12]
    if name in pdfmetrics.getRegisteredFontNames():
        return name
    if not path.is_file():
        raise FontNotFound(
            f"font file {path} not found: {PACKAGE_HINT}, or configure the font path"
        )
    try:
        pdfmetrics.registerFont(TTFont(name, str(path)))
    except (TTFError, OSError) as error:
        raise FontNotFound(
            f"font file {path} is not a usable TrueType font ({error}): {PACKAGE_HINT}"
        ) from None
    return name
