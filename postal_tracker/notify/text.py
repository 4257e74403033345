"""Text for SMS (plain ASCII, Vietnamese without diacritics) and masking of
recipients for logs. Pure functions."""

from __future__ import annotations

import re
import unicodedata

from postal_tracker.phones import mask_phone

# Letters that NFKD does not decompose into a base letter plus marks, and
# punctuation that GSM-7 phones show badly.
_SPECIAL = str.maketrans(
    {
        "đ": "d",
        "Đ": "D",
        "“": '"',
        "”": '"',
        "‘": "'",
        "’": "'",
        "–": "-",
        "—": "-",
        "…": "...",
        "\u00a0": " ",
    }
)
_SPACES = re.compile(r"\s+")
# Everything outside printable ASCII, the combining marks NFKD splits off included.
_NOT_PRINTABLE_ASCII = re.compile(r"[^ -~]+")


def one_line(text: str) -> str:
    """Whitespace (newlines included) collapsed to single spaces, trimmed: a
    value from a form never breaks a subject line or an SMS."""
    return _SPACES.sub(" ", text).strip()


def strip_diacritics(text: str) -> str:
    """Vietnamese to plain ASCII: ``Đường Hoàng Văn Thụ`` → ``Duong Hoang Van Thu``.

    đ/Đ first (NFKD leaves them whole), then NFKD and drop the combining marks;
    anything still outside printable ASCII is dropped.
    """
    decomposed = unicodedata.normalize("NFKD", text.translate(_SPECIAL))
    # Combining marks are never ASCII, so one pass drops them with the rest.
    return _NOT_PRINTABLE_ASCII.sub("", decomposed)


def sms_text(text: str) -> str:
    return strip_diacritics(one_line(text))


def shorten(text: str, limit: int, ellipsis: str = "...") -> str:
    """``text`` cut to at most ``limit`` characters, at a word boundary when one
    is near, marked with ``ellipsis``."""
    if len(text) <= limit:
        return text
    if limit <= len(ellipsis):
        return text[:limit]
    cut = text[: limit - len(ellipsis)]
    space = cut.rfind(" ")
    ends_a_word = text[len(cut)] == " "
    if not ends_a_word and space >= len(cut) * 2 // 3:
        cut = cut[:space]
    return cut.rstrip(" ,;:-") + ellipsis


def mask_email(address: str) -> str:
    """``nguyen.van.a@gmail.com`` → ``n***@gmail.com``."""
    local, _, domain = address.rpartition("@")
    if not local:
        return "***"
    return f"{local[0]}***@{domain}"


def mask_recipient(recipient: str) -> str:
    """A phone or email address fit for a log line."""
    if "@" in recipient:
        return mask_email(recipient)
    return mask_phone(recipient)
