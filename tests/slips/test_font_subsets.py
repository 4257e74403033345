"""Text encoded for the embedded font's subsets: the same codes reportlab
gives, every character drawn is in a subset, and it all reads back."""

from __future__ import annotations

import io
from dataclasses import replace

from reportlab.lib.rl_accel import escapePDF
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from postal_tracker.slips.font_subsets import SubsetEncoder
from postal_tracker.slips.fonts import register_fonts
from postal_tracker.slips.intake_slip import render_intake_slip
from postal_tracker.slips.layouts import Layout
from postal_tracker.slips.model import DocumentLine, IntakeSlipData
from tests.slips.pdfcheck import text_of

VIETNAMESE = "aàáảãạăằắẳẵặâầấẩẫậeèéẻẽẹêềếểễệiìíỉĩịoòóỏõọôồốổỗộơờớởỡợuùúủũụưừứửữựyỳýỷỹỵđ"
# More distinct characters than one subset of 256 holds, so text spans two.
GREEK = "αβγδεζηθικλμνξοπρστυφχψω"
CYRILLIC = "абвгдежзийклмнопрстуфхцчшщъыьэюя"
MANY = "".join(
    (VIETNAMESE, VIETNAMESE.upper(), GREEK, GREEK.upper(), CYRILLIC, CYRILLIC.upper(), "()\\€₫")
)


def reportlab_runs(font: TTFont, doc: object, text: str) -> list[tuple[str, str]]:
    return [
        (font.getSubsetInternalName(subset, doc), escapePDF(chunk))
        for subset, chunk in font.splitString(text, doc)
    ]


def test_the_codes_are_reportlabs_own() -> None:
    """The same codes, in the same subsets, as reportlab alone gives the same
    texts in the same order in another document."""
    font = pdfmetrics.getFont(register_fonts().regular)
    assert isinstance(font, TTFont)
    ours, reportlabs = (Canvas(io.BytesIO())._doc for _ in range(2))  # type: ignore[attr-defined]
    encoder = SubsetEncoder(font, ours)
    texts = [
        "Nguyễn Thị Phương Thảo",
        "(a) \\ b",
        *(MANY[start : start + 17] for start in range(0, len(MANY), 17)),
        MANY,
        "Thảo (Đỗ)",
        "¿¡x¡¿",  # new characters, repeated
        "",
    ]
    for text in texts + texts:  # each new, then each known
        assert encoder.runs(text) == reportlab_runs(font, reportlabs, text)
    assert len(set(MANY)) > 256
    assert len({name for name, _ in encoder.runs(MANY)}) == 2


def test_every_character_drawn_reads_back(
    layouts: dict[str, Layout], intake_data: IntakeSlipData
) -> None:
    # Short document names, so that none is wrapped, together using two subsets.
    names = [MANY[start : start + 12] for start in range(0, len(MANY), 12)]
    documents = tuple(DocumentLine(name, originals=1) for name in names)
    data = replace(intake_data, documents=documents)
    text = text_of(render_intake_slip(data, layouts["a4-slip"]).pdf)
    for name in names:
        assert name in text
