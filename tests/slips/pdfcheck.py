"""Reading rendered slips back: their text, and the QR codes a camera sees."""

from __future__ import annotations

import io

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import zxingcpp
from PIL import Image


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


def image_count(pdf: bytes, page: int = 0) -> int:
    """How many raster images ``page`` draws (signatures; the QR is vector)."""
    objects = pdfium.PdfDocument(pdf)[page].get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE])
    return len(list(objects))


def signature_png() -> bytes:
    """A drawn signature as the signing pad sends it: a blue stroke on transparency."""
    image = Image.new("RGBA", (300, 100), (255, 255, 255, 0))
    image.paste((0, 0, 160, 255), (20, 40, 280, 60))
    png = io.BytesIO()
    image.save(png, format="PNG")
    return png.getvalue()
