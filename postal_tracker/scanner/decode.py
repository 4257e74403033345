"""Reading a QR code (or any barcode) from a photo, on the server, for phones
whose browser has no BarcodeDetector. Pure: bytes in, text out."""

from __future__ import annotations

import io
import warnings

import zxingcpp
from PIL import Image, UnidentifiedImageError

from postal_tracker.errors import N_, DomainError

# A phone photo is a few megapixels; anything far larger is not a photo.
MAX_PIXELS = 40_000_000
# Decoding is faster and no worse on a downscaled copy of a big photo.
DECODE_SIDE = 1600


def _not_an_image() -> DomainError:
    return DomainError(
        N_("This file is not a picture we can read."), field="photo", code="not_an_image"
    )


def decode_photo(data: bytes) -> list[str]:
    """The texts of the codes found in the picture ``data``, best first.

    Raises a :class:`DomainError` when ``data`` is not a readable image.
    """
    try:
        with warnings.catch_warnings():
            # Pillow warns about, then refuses, decompression bombs; refuse both.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.width * image.height > MAX_PIXELS:
                raise _not_an_image()
            image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombWarning):
        raise _not_an_image() from None
    except Image.DecompressionBombError:
        raise _not_an_image() from None
    gray = image.convert("L")
    if max(gray.size) > DECODE_SIDE:
        gray.thumbnail((DECODE_SIDE, DECODE_SIDE))
    return [b.text for b in zxingcpp.read_barcodes(gray) if b.valid and b.text]
