"""Vietnamese phone numbers: checked with libphonenumber, stored in E.164,
shown masked to anyone but staff who need the whole number."""

from __future__ import annotations

import phonenumbers

from postal_tracker.errors import N_, DomainError


class InvalidPhone(DomainError):
    """Not a valid Vietnamese phone number."""


def _invalid() -> InvalidPhone:
    return InvalidPhone(
        N_("Enter a valid Vietnamese phone number, e.g. 0912 345 678."), code="phone"
    )


def parse_vn_phone(text: str) -> str:
    """E.164 (``+84912345678``) for a valid Vietnamese number, else InvalidPhone."""
    try:
        number = phonenumbers.parse(text.strip(), "VN")
    except phonenumbers.NumberParseException:
        raise _invalid() from None
    if number.country_code != 84 or not phonenumbers.is_valid_number(number):
        raise _invalid()
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def national(e164: str) -> str:
    """``0912 345 678``-style national format."""
    number = phonenumbers.parse(e164, "VN")
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL))


def mask_phone(e164: str) -> str:
    """Keep the first two and last three digits: ``09xx xxx 678``."""
    digits = "0" + e164[3:] if e164.startswith("+84") else e164
    if len(digits) < 6:
        return "x" * len(digits)
    middle = "x" * (len(digits) - 5)
    masked = digits[:2] + middle + digits[-3:]
    return f"{masked[:4]} {masked[4:-3]} {masked[-3:]}"
