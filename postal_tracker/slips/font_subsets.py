"""Text as PDF string operands in an embedded TrueType font's subsets.

reportlab embeds a TrueType font as subsets of up to 256 characters, each
character getting a one-byte code in a subset the first time a document uses
it (``TTFont.splitString``, which also records the character for the
embedded subset). It does this in a Python loop per character, which was a
third of the cost of drawing a slip's text. ``SubsetEncoder`` asks reportlab
once per new character and remembers the answer for the rest of the
document, so every character drawn is still one reportlab put in a subset.
"""

from __future__ import annotations

from reportlab.lib.rl_accel import escapePDF
from reportlab.pdfbase.ttfonts import TTFont


class SubsetEncoder:
    """Encodes text in ``font`` for one document (``doc``, a reportlab
    ``PDFDocument``); use one encoder per document and font."""

    def __init__(self, font: TTFont, doc: object) -> None:
        self.font = font
        self.doc = doc
        # Per subset: the characters it has and a str.translate table from
        # each to its code, escaped for a PDF string.
        self._known: dict[int, set[str]] = {}
        self._tables: dict[int, dict[int, str]] = {}
        self._names: dict[int, str] = {}

    def runs(self, text: str) -> list[tuple[str, str]]:
        """``text`` as (font resource name, escaped string) runs, in order:
        ``f"{name} {size} Tf ({string}) Tj"`` shows it."""
        if not text:
            return []
        for subset, known in self._known.items():
            if known.issuperset(text):
                return [(self._names[subset], text.translate(self._tables[subset]))]
        runs = []
        chunks = self.font.splitString(text, self.doc)
        learn = sum(len(chunk) for _, chunk in chunks) == len(text)  # one byte per character
        start = 0
        for subset, chunk in chunks:
            if subset not in self._names:
                self._names[subset] = self.font.getSubsetInternalName(subset, self.doc)
                self._known[subset], self._tables[subset] = set(), {}
            if learn:
                for character, code in zip(text[start : start + len(chunk)], chunk, strict=True):
                    self._known[subset].add(character)
                    self._tables[subset][ord(character)] = escapePDF(bytes((code,)))
                start += len(chunk)
            runs.append((self._names[subset], escapePDF(chunk)))
        return runs
