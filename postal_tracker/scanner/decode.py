"""Reading a QR code (or any barcode) from a photo, on the server, for phones
whose browser has no BarcodeDetector. Pure: bytes in, text out."""

from __future__ import annotations

import io
import warnings

import zxingcpp
from PIL import Image, UnidentifiedImageError

# A phone photo is a few megapixels; anything far larger is not a photo.
MAX_PIXELS = 40_000_000
# Decoding is faster and no worse on a downscaled copy of a big photo.
DECODE_SIDE = 1600


class NotAnImage(ValueError):
    """The bytes are not a picture we can read."""


def decode_photo(data: bytes) -> list[str]:
    """The texts of the codes found in the picture ``data``, best first.

    Raises :class:`NotAnImage` when ``data`` is not a readable image.
    """
    try:
        with warnings.catch_warnings():
            # Pillow warns about, then refuses, decompression bombs; refuse both.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.width * image.height > MAX_PIXELS:
                raise NotAnImage("too many pixels")
            image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombWarning) as exc:
        raise NotAnImage(str(exc)) from None
    except Image.DecompressionBombError as exc:
        raise NotAnImage(str(exc)) from None
    gray = image.convert("L")
    if max(gray.size) > DECODE_SIDE:
        gray.thumbnail((DECODE_SIDE, DECODE_SIDE))
    return [b.text for b in zxingcpp.read_barcodes(gray) if b.valid and b.text]
