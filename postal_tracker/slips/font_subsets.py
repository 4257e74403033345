"""Text as PDF string operands in an embedded TrueType font's subsets.

reportlab embeds a TrueType font as subsets of up to 256 characters, each
character getting a one-byte code in a subset the first time a document uses
it (``TTFont.splitString``, which also records the character for the
embedded subset). It does this in a Python loop per character, which was a
third of the cost of drawing a slip's text. ``SubsetEncoder`` asks reportlab
once per new character and remembers the answer for the rest of the
document, so every character drawn is still one reportlab put in a subset,
with the code reportlab gave it.
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
        self._seen: set[str] = set()
        self._runs: dict[str, list[tuple[str, str]]] = {}  # a slip repeats many texts

    def runs(self, text: str) -> list[tuple[str, str]]:
        """``text`` as (font resource name, escaped string) runs, in order:
        ``f"{name} {size} Tf ({string}) Tj"`` shows it."""
        runs = self._runs.get(text)
        if runs is None:
            runs = self._runs[text] = self._encode(text) if text else []
        return runs

    def _encode(self, text: str) -> list[tuple[str, str]]:
        if not self._seen.issuperset(text):
            # reportlab numbers characters in the order a document first uses
            # them: ask about the new ones in the order ``text`` has them.
            new = set(text) - self._seen
            self._learn("".join(sorted(new, key=text.index)))
        for subset, known in self._known.items():
            if known.issuperset(text):
                return [(self._names[subset], text.translate(self._tables[subset]))]
        # Spread over two subsets (a document using more than 256 characters).
        return [
            (self._names[subset], escapePDF(chunk))
            for subset, chunk in self.font.splitString(text, self.doc)
        ]

    def _learn(self, characters: str) -> None:
        start = 0
        for subset, chunk in self.font.splitString(characters, self.doc):
            if subset not in self._names:
                self._names[subset] = self.font.getSubsetInternalName(subset, self.doc)
                self._known[subset], self._tables[subset] = set(), {}
            for character, code in zip(characters[start : start + len(chunk)], chunk, strict=True):
                self._known[subset].add(character)
                self._tables[subset][ord(character)] = escapePDF(bytes((code,)))
            start += len(chunk)
        self._seen.update(characters)
