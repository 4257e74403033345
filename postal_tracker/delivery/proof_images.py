"""The images of a proof of delivery: the drawn signature and an optional
photo, checked with Pillow and kept in a content-addressed folder (files
named by their SHA-256), so a file can never be swapped unnoticed: its name
is its hash, and the hash is in the hash-chained ``delivered`` event.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import os
import tempfile
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from postal_tracker.errors import N_, DomainError

MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_SIGNATURE_BYTES = 512 * 1024
MAX_PIXELS = 40_000_000  # a 5 MB JPEG may still decode to a pixel bomb
PNG_DATA_URL = "data:image/png;base64,"


# What is wrong with an image, by a stable code; the field is the code's first word.
IMAGE_REFUSALS = {
    "signature_missing": N_("Ask the recipient to sign in the box."),
    "signature_invalid": N_("The signature could not be read; ask the recipient to sign again."),
    "signature_empty": N_("The signature box is empty; ask the recipient to sign."),
    "photo_too_large": N_("The photo is larger than 5 MB; take a smaller one."),
    "photo_not_image": N_("The photo must be a JPEG or PNG picture."),
}


def image_refused(code: str) -> DomainError:
    """The refusal ``code`` (from :data:`IMAGE_REFUSALS`) of the ``signature`` or ``photo``."""
    return DomainError(IMAGE_REFUSALS[code], field=code.partition("_")[0], code=code)


def signature_png(data_url: str) -> bytes:
    """The PNG bytes of a canvas signature (``data:image/png;base64,...``),
    checked to be a real PNG with some ink on it."""
    if not data_url.startswith(PNG_DATA_URL):
        raise image_refused("signature_missing")
    try:
        raw = base64.b64decode(data_url[len(PNG_DATA_URL) :], validate=True)
    except (binascii.Error, ValueError):
        raise image_refused("signature_invalid") from None
    if len(raw) > MAX_SIGNATURE_BYTES:
        raise image_refused("signature_invalid")
    image = _open(raw, "signature_invalid")
    if image.format != "PNG":
        raise image_refused("signature_invalid")
    # A blank canvas: seen on white paper, one flat colour.
    paper = Image.new("RGBA", image.size, (255, 255, 255, 255))
    seen = Image.alpha_composite(paper, image.convert("RGBA")).convert("L")
    darkest, lightest = seen.getextrema()
    if darkest == lightest:
        raise image_refused("signature_empty")
    return raw


def photo_jpeg(raw: bytes) -> bytes:
    """A photo (JPEG or PNG, at most 5 MB) re-encoded as JPEG without its
    metadata (EXIF carries the phone's GPS position and model)."""
    if len(raw) > MAX_PHOTO_BYTES:
        raise image_refused("photo_too_large")
    image = _open(raw, "photo_not_image")
    if image.format not in ("JPEG", "PNG"):
        raise image_refused("photo_not_image")
    try:
        upright = ImageOps.exif_transpose(image).convert("RGB")
    except (OSError, ValueError):
        raise image_refused("photo_not_image") from None
    out = io.BytesIO()
    upright.save(out, format="JPEG", quality=85)
    return out.getvalue()


def _open(raw: bytes, code: str) -> Image.Image:
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            if probe.width * probe.height > MAX_PIXELS:
                raise image_refused(code)
            probe.verify()
        image = Image.open(io.BytesIO(raw))
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise image_refused(code) from None
    return image


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def store(folder: Path, data: bytes, suffix: str) -> str:
    """Keep ``data`` under its SHA-256 name; returns the hash. Written to a
    temporary file and renamed, so a reader never sees half an image."""
    digest = sha256(data)
    path = folder / digest[:2] / f"{digest}{suffix}"
    if path.exists():
        return digest
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return digest


def path_of(folder: Path, digest: str, suffix: str) -> Path:
    return folder / digest[:2] / f"{digest}{suffix}"
