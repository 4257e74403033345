"""UPU S10 tracking codes: ``HC123456785VN``.

Two letters of service indicator, an 8-digit serial, a check digit and the
country code.

The S10 check digit alone misses a few typos: it maps both ``S mod 11 == 0`` and
``S mod 11 == 6`` to 5, and swapping the last serial digit with the check digit
can give another valid code. So we only *issue* serials for which neither can
happen (about four in five), and :func:`validate` refuses any code we could not
have issued. With that, every single-digit substitution and every swap of two
adjacent digits (check digit included) of an issued code is rejected before any
lookup.
"""

from __future__ import annotations

import re

from postal_tracker.errors import N_, DomainError

WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)
SERIAL_MAX = 99_999_999
_PATTERN = re.compile(r"^([A-Z]{2})(\d{8})(\d)([A-Z]{2})$")


class InvalidTrackingCode(DomainError):
    """The text is not a well-formed S10 code (``code`` ``format``) or its check
    digit is wrong (``check_digit``)."""


def check_digit(serial: str) -> int:
    """The S10 check digit of an 8-digit serial."""
    if len(serial) != 8 or not serial.isdigit():
        raise ValueError("serial must be 8 digits")
    total = sum(int(d) * w for d, w in zip(serial, WEIGHTS, strict=True))
    c = 11 - total % 11
    return {10: 0, 11: 5}.get(c, c)


def _s10_valid(digits: str, digit: str) -> bool:
    return check_digit(digits) == int(digit)


def issuable(serial: int) -> bool:
    """Whether codes for ``serial`` keep every single typo detectable."""
    digits = f"{serial:08d}"
    check = check_digit(digits)
    if check == 5:
        return False
    # The last serial digit swapped with the check digit must not be valid.
    swapped = digits[:7] + str(check)
    return digits[7] == str(check) or not _s10_valid(swapped, digits[7])


def next_issuable(serial: int) -> int:
    """The first issuable serial at or after ``serial``."""
    while not issuable(serial):
        serial += 1
    if serial > SERIAL_MAX:
        raise ValueError("serial space exhausted")
    return serial


def make(prefix: str, serial: int, country: str = "VN") -> str:
    """Build the code for ``serial`` under a 2-letter service ``prefix``."""
    if not re.fullmatch(r"[A-Z]{2}", prefix):
        raise ValueError("prefix must be two upper-case letters")
    if not re.fullmatch(r"[A-Z]{2}", country):
        raise ValueError("country must be two upper-case letters")
    if not 0 <= serial <= SERIAL_MAX:
        raise ValueError("serial must be between 0 and 99,999,999")
    digits = f"{serial:08d}"
    return f"{prefix}{digits}{check_digit(digits)}{country}"


def normalise(text: str) -> str:
    """Upper-case and drop the spaces people and scanners put in codes."""
    return re.sub(r"[\s-]", "", text).upper()


def validate(text: str) -> str:
    """Return the normalised code, or raise :class:`InvalidTrackingCode`."""
    code = normalise(text)
    match = _PATTERN.match(code)
    if not match:
        raise InvalidTrackingCode(N_("Not a tracking code (e.g. HC123456785VN)."), code="format")
    _, serial, digit, _ = match.groups()
    if not _s10_valid(serial, digit) or not issuable(int(serial)):
        raise InvalidTrackingCode(
            N_("The check digit does not match: the code was mistyped or misread."),
            code="check_digit",
        )
    return code


def is_valid(text: str) -> bool:
    try:
        validate(text)
    except InvalidTrackingCode:
        return False
    return True


def format_code(code: str) -> str:
    """Group a code for reading aloud or printing: ``HC 1234 5678 5 VN``."""
    code = validate(code)
    return f"{code[:2]} {code[2:6]} {code[6:10]} {code[10]} {code[11:]}"
