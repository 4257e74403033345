"""The signed token a slip's QR code carries, and the URL around it.

Layout of the token's bytes (85 bytes, big-endian)::

    offset size  field
    0      1     version (1)
    1      6     tracking code, packed: service letters, 8-digit serial, country
                 letters (the S10 check digit is recomputed, not stored)
    7      6     slip id, unsigned, below 2**48
    13     4     issue time, unix seconds, unsigned (good until 2106)
    17     4     key id: the first 4 bytes of SHA-256 of the raw public key
    21     64    Ed25519 signature

The signature covers ``SIGNING_CONTEXT`` followed by bytes 0..20. The context
string keeps a slip signature from ever being valid for another purpose the
same key might be put to (a checkpoint, say), and vice versa.

The bytes are written in upper-case RFC 4648 base32 without padding: 85 bytes
are exactly 136 characters, so no character carries unused bits and there is
one spelling per token. It holds no personal data: a tracking code, a number
and a time.

**The URL is upper-case.** QR codes pack upper-case letters, digits and
`` $%*+-./:`` (alphanumeric mode) at 5.5 bits a character, against 8 for
anything else, so ``slip_url`` upper-cases the whole URL:
``HTTPS://DVC.EXAMPLE.VN/V/AEB2...``. Scheme and host are case-insensitive,
so the browser lands on ``https://dvc.example.vn/V/AEB2...``; the app must
therefore route both ``/v/<token>`` and ``/V/<token>``, and any path prefix in
the base URL must be routed in upper case too. With a 40-character base URL
the whole text (179 characters) is a version 8 QR at error correction M (39
characters or fewer make version 7; version 10 holds 311, so base URLs up to
172 characters still fit).

**Case on input.** Base32 is case-insensitive and the signature covers the
decoded bytes, so a lower-case or mixed-case token (a scanner in the wrong
keyboard mode, a person typing it) decodes to the same signed bytes and is
accepted as the same slip; surrounding white space is ignored. Any other
change is refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from postal_tracker import s10

if TYPE_CHECKING:
    from postal_tracker.slips.keys import KeyRing

VERSION = 1
SIGNING_CONTEXT = b"postal-tracker/slip-token/v1\x00"
KEY_ID_BYTES = 4
SIGNATURE_BYTES = 64
SLIP_ID_MAX = 2**48 - 1
ISSUED_AT_MAX = 2**32 - 1
_HEADER = struct.Struct(">B6s6sI4s")
TOKEN_BYTES = _HEADER.size + SIGNATURE_BYTES
TOKEN_LENGTH = TOKEN_BYTES * 8 // 5  # 136 characters: 85 bytes hold no spare bits
assert TOKEN_BYTES % 5 == 0

# Characters QR alphanumeric mode encodes, and how many of them a version 10
# symbol at error correction M holds (ISO/IEC 18004, table 7).
QR_ALPHANUMERIC = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
QR_V10_M_ALPHANUMERIC_CAPACITY = 311

_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_SERIALS = 100_000_000
_PACKED_MAX = 26**4 * _SERIALS - 1
_BASE32 = re.compile(r"[A-Z2-7]*")
_BASE_URL = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9.-]+)*/?")

Reason = Literal[
    "malformed", "unsupported_version", "unknown_key", "bad_signature", "outside_key_validity"
]


class InvalidToken(Exception):
    """The token is not a genuine slip token. ``reason`` says why, for machines:

    - ``malformed``: not 136 base32 characters, or fields out of range;
    - ``unsupported_version``: a version this code does not read;
    - ``unknown_key``: signed by a key that is not (or no longer) published;
    - ``bad_signature``: altered, or not signed by the key it names;
    - ``outside_key_validity``: issued at a time its key was not in service.
    """

    def __init__(self, reason: Reason, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason: Reason = reason


@dataclass(frozen=True)
class VerifiedSlip:
    """What a genuine token says."""

    version: int
    tracking_code: str
    slip_id: int
    issued_at: datetime  # aware, UTC
    key_id: str  # lower-case hex


def key_id_for(public_key: Ed25519PublicKey) -> str:
    """The key id of ``public_key``: hex of the first 4 bytes of SHA-256 of its raw bytes."""
    raw = public_key.public_bytes_raw()
    return hashlib.sha256(raw).digest()[:KEY_ID_BYTES].hex()


def sign_slip(keyring: KeyRing, tracking_code: str, slip_id: int, issued_at: datetime) -> str:
    """A token for a slip, signed with the ring's active key.

    ``tracking_code`` must be a valid S10 code (``s10.InvalidTrackingCode``
    otherwise), ``slip_id`` in ``0..2**48-1`` and ``issued_at`` an aware
    datetime (``ValueError`` otherwise); sub-second precision is dropped.
    """
    key = keyring.active
    if issued_at.tzinfo is None:
        raise ValueError("issued_at must be timezone-aware")
    if not 0 <= slip_id <= SLIP_ID_MAX:
        raise ValueError(f"slip_id must be between 0 and {SLIP_ID_MAX}")
    seconds = int(issued_at.timestamp())
    if not 0 <= seconds <= ISSUED_AT_MAX:
        raise ValueError("issued_at must be between 1970 and 2106")
    header = _HEADER.pack(
        VERSION,
        _pack_tracking_code(s10.validate(tracking_code)),
        slip_id.to_bytes(6, "big"),
        seconds,
        bytes.fromhex(key.key_id),
    )
    signature = key.private_key.sign(SIGNING_CONTEXT + header)
    return base64.b32encode(header + signature).decode("ascii")


def slip_url(base_url: str, token: str) -> str:
    """The text to put in the QR: ``<BASE-URL>/V/<TOKEN>``, all upper case.

    ``base_url`` is ``http(s)://host[:port][/prefix]`` (letters, digits, dots
    and hyphens); anything else would push the QR out of alphanumeric mode, so
    it raises ``ValueError``, as does a URL too long for a version 10 QR.
    """
    if not _BASE_URL.fullmatch(base_url):
        raise ValueError(
            f"base URL {base_url!r} must look like https://host.example.vn "
            "(letters, digits, dots and hyphens only, no query)"
        )
    url = f"{base_url.rstrip('/')}/V/{token}".upper()
    if not set(url) <= QR_ALPHANUMERIC:
        raise ValueError("the token must be upper-case base32")
    if len(url) > QR_V10_M_ALPHANUMERIC_CAPACITY:
        raise ValueError(
            f"slip URL is {len(url)} characters; a version 10 QR holds "
            f"{QR_V10_M_ALPHANUMERIC_CAPACITY}: shorten the base URL"
        )
    return url


def token_from_scan(text: str) -> str:
    """The token in what a scanner read: a slip URL in any case, or a bare token.

    Does not check the token; ``verify_token`` does.
    """
    text = text.strip()
    marker = text.upper().rfind("/V/")
    return text[marker + 3 :] if marker >= 0 else text


def verify_token(token: str, public_keys: Mapping[str, Ed25519PublicKey]) -> VerifiedSlip:
    """Check ``token`` against ``public_keys`` (key id in lower-case hex -> key).

    Returns what the token says, or raises ``InvalidToken`` for anything else,
    whatever the input: no other exception escapes.
    """
    raw = _decode(token)
    if raw[0] != VERSION:
        raise InvalidToken("unsupported_version", f"version {raw[0]}")
    if len(raw) != TOKEN_BYTES:
        raise InvalidToken("malformed", f"{len(raw)} bytes, expected {TOKEN_BYTES}")
    header, signature = raw[: _HEADER.size], raw[_HEADER.size :]
    version, packed_code, slip_id, seconds, key_id_raw = _HEADER.unpack(header)
    key_id = key_id_raw.hex()
    public_key = public_keys.get(key_id)
    if public_key is None:
        raise InvalidToken("unknown_key", f"key {key_id}")
    try:
        public_key.verify(signature, SIGNING_CONTEXT + header)
    except InvalidSignature:
        raise InvalidToken("bad_signature") from None
    return VerifiedSlip(
        version=version,
        tracking_code=_unpack_tracking_code(packed_code),
        slip_id=int.from_bytes(slip_id, "big"),
        issued_at=datetime.fromtimestamp(seconds, UTC),
        key_id=key_id,
    )


def _decode(token: object) -> bytes:
    if not isinstance(token, str):
        raise InvalidToken("malformed", "not text")
    text = token.strip().upper()
    if not text:
        raise InvalidToken("malformed", "empty")
    # b32decode is lenient about some things (it can map 0 and 1, and it
    # ignores set bits in the padding), so check the alphabet and the length
    # ourselves; 136 characters of 85 bytes leave no padding bits to ignore.
    if not text.isascii() or not _BASE32.fullmatch(text):
        raise InvalidToken("malformed", "not base32")
    if len(text) % 8 not in (0, 2, 4, 5, 7):
        raise InvalidToken("malformed", "impossible base32 length")
    try:
        raw = base64.b32decode(text + "=" * (-len(text) % 8))
    except (binascii.Error, ValueError):
        raise InvalidToken("malformed", "not base32") from None
    if base64.b32encode(raw).decode("ascii").rstrip("=") != text:
        raise InvalidToken("malformed", "non-canonical base32")
    return raw


def _pack_tracking_code(code: str) -> bytes:
    service, serial, country = code[:2], code[2:10], code[11:]
    value = 0
    for letter in service + country:
        value = value * 26 + _LETTERS.index(letter)
    return (value * _SERIALS + int(serial)).to_bytes(6, "big")


def _unpack_tracking_code(packed: bytes) -> str:
    value = int.from_bytes(packed, "big")
    if value > _PACKED_MAX:
        # Only a correctly signed token can get here, so this is our own bug
        # or a stolen key; still, refuse it the one documented way.
        raise InvalidToken("malformed", "tracking code out of range")
    letters, serial = divmod(value, _SERIALS)
    chars = []
    for _ in range(4):
        letters, index = divmod(letters, 26)
        chars.append(_LETTERS[index])
    service_country = "".join(reversed(chars))
    digits = f"{serial:08d}"
    return f"{service_country[:2]}{digits}{s10.check_digit(digits)}{service_country[2:]}"
