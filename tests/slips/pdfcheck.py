"""Reading rendered slips back: their text, and the QR codes a camera sees."""

from __future__ import annotations

import pypdfium2 as pdfium
import zxingcpp


def page_count(pdf: bytes) -> int:
    return len(pdfium.PdfDocument(pdf))


def text_of(pdf: bytes) -> str:
    """All the text pdfium extracts, pages joined."""
    document = pdfium.PdfDocument(pdf)
    return "\n".join(page.get_textpage().get_text_bounded() for page in document)


def qr_texts(pdf: bytes, page: int = 0, dpi: int = 150) -> list[str]:
    """What a scanner reads from ``page`` printed at ``dpi``."""
    image = pdfium.PdfDocument(pdf)[page].render(scale=dpi / 72, grayscale=True).to_pil()
    return [
        result.text
        for result in zxingcpp.read_barcodes(image)
        if result.format == zxingcpp.BarcodeFormat.QRCode
    ]
