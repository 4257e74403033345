"""The signed token: what it holds, and that any tampering is refused with
InvalidToken and nothing else."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import qrcode
from hypothesis import given, settings
from hypothesis import strategies as st

from postal_tracker import s10
from postal_tracker.slips.keys import KeyRing
from postal_tracker.slips.token import (
    SLIP_ID_MAX,
    TOKEN_LENGTH,
    InvalidToken,
    sign_slip,
    slip_url,
    token_from_scan,
    verify_token,
)
from tests.slips.conftest import BASE_URL, NOW, code

BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


@pytest.fixture
def token(keyring: KeyRing, tracking_code: str) -> str:
    return sign_slip(keyring, tracking_code, 123_456_789, NOW)


def test_round_trip(keyring: KeyRing, token: str, tracking_code: str) -> None:
    slip = verify_token(token, keyring.public_keys())
    assert slip.tracking_code == tracking_code
    assert slip.slip_id == 123_456_789
    assert slip.issued_at == NOW.replace(microsecond=0)
    assert slip.key_id == keyring.active.key_id
    assert slip.version == 1


def test_token_is_136_upper_case_base32_characters(token: str) -> None:
    assert len(token) == TOKEN_LENGTH == 136
    assert set(token) <= set(BASE32)


@given(
    prefix=st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=2),
    country=st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=2),
    serial=st.integers(0, s10.SERIAL_MAX - 100),
    slip_id=st.integers(0, SLIP_ID_MAX),
    seconds=st.integers(0, 2**32 - 1),
)
@settings(max_examples=200, deadline=None)
def test_every_field_survives_packing(
    tmp_path_factory: pytest.TempPathFactory,
    prefix: str,
    country: str,
    serial: int,
    slip_id: int,
    seconds: int,
) -> None:
    ring = _shared_ring(tmp_path_factory)
    tracking = s10.make(prefix, s10.next_issuable(serial), country)
    issued = datetime.fromtimestamp(seconds, UTC)
    slip = verify_token(sign_slip(ring, tracking, slip_id, issued), ring.public_keys())
    assert (slip.tracking_code, slip.slip_id, slip.issued_at) == (tracking, slip_id, issued)


_rings: dict[str, KeyRing] = {}


def _shared_ring(factory: pytest.TempPathFactory) -> KeyRing:
    # Hypothesis runs the test body many times; one ring serves them all.
    if "ring" not in _rings:
        _rings["ring"] = KeyRing.load_or_create(factory.mktemp("keys"), NOW)
    return _rings["ring"]


def test_every_single_character_change_is_refused(keyring: KeyRing, token: str) -> None:
    keys = keyring.public_keys()
    for position, original in enumerate(token):
        for replacement in BASE32:
            if replacement == original:
                continue
            altered = token[:position] + replacement + token[position + 1 :]
            with pytest.raises(InvalidToken):
                verify_token(altered, keys)


def test_a_flipped_signature_bit_is_a_bad_signature(keyring: KeyRing, token: str) -> None:
    raw = bytearray(_decode(token))
    raw[-1] ^= 1
    with pytest.raises(InvalidToken) as error:
        verify_token(_encode(bytes(raw)), keyring.public_keys())
    assert error.value.reason == "bad_signature"


def test_a_changed_field_is_a_bad_signature(keyring: KeyRing, token: str) -> None:
    raw = bytearray(_decode(token))
    raw[12] ^= 1  # the slip id's last byte
    with pytest.raises(InvalidToken) as error:
        verify_token(_encode(bytes(raw)), keyring.public_keys())
    assert error.value.reason == "bad_signature"


def test_an_unknown_key_is_refused(token: str, tmp_path: Path) -> None:
    other = KeyRing.load_or_create(tmp_path / "other", NOW)
    with pytest.raises(InvalidToken) as error:
        verify_token(token, other.public_keys())
    assert error.value.reason == "unknown_key"


def test_another_version_is_unsupported(keyring: KeyRing, token: str) -> None:
    raw = _decode(token)
    with pytest.raises(InvalidToken) as error:
        verify_token(_encode(b"\x02" + raw[1:]), keyring.public_keys())
    assert error.value.reason == "unsupported_version"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "A",
        "AB",
        "0" * 136,  # 0, 1, 8, 9 are not base32
        "8" * 136,
        "=" * 136,
        "Ă" * 136,
        "AAAA-AAAA",
        "https://example.vn/v/",
    ],
)
def test_malformed_text_is_refused(keyring: KeyRing, text: str) -> None:
    with pytest.raises(InvalidToken) as error:
        verify_token(text, keyring.public_keys())
    assert error.value.reason == "malformed"


def test_every_truncation_and_extension_is_refused(keyring: KeyRing, token: str) -> None:
    keys = keyring.public_keys()
    for length in range(len(token)):
        with pytest.raises(InvalidToken):
            verify_token(token[:length], keys)
    for extra in ("A", "AA", "AAAAAAAA"):
        with pytest.raises(InvalidToken) as error:
            verify_token(token + extra, keys)
        assert error.value.reason == "malformed"


def test_padding_is_refused(keyring: KeyRing, token: str) -> None:
    with pytest.raises(InvalidToken):
        verify_token(token + "====", keyring.public_keys())


@pytest.mark.parametrize("value", [None, b"AAAA", 12, ["A"]])
def test_non_text_is_malformed(keyring: KeyRing, value: object) -> None:
    with pytest.raises(InvalidToken) as error:
        verify_token(value, keyring.public_keys())  # type: ignore[arg-type]
    assert error.value.reason == "malformed"


@given(st.text(max_size=300))
@settings(max_examples=300, deadline=None)
def test_any_text_gives_invalid_token_and_nothing_else(text: str) -> None:
    with pytest.raises(InvalidToken):
        verify_token(text, {})


def test_lower_and_mixed_case_are_the_same_slip(keyring: KeyRing, token: str) -> None:
    """Deliberate: base32 is case-insensitive and the signature covers the
    decoded bytes, so case carries no information an attacker could change."""
    keys = keyring.public_keys()
    original = verify_token(token, keys)
    assert verify_token(token.lower(), keys) == original
    mixed = "".join(c.lower() if i % 2 else c for i, c in enumerate(token))
    assert verify_token(mixed, keys) == original
    assert verify_token(f"  {token}\n", keys) == original


def test_sign_refuses_bad_input(keyring: KeyRing, tracking_code: str) -> None:
    with pytest.raises(s10.InvalidTrackingCode):
        sign_slip(keyring, "HS123456780VN", 1, NOW)
    with pytest.raises(ValueError, match="slip_id"):
        sign_slip(keyring, tracking_code, SLIP_ID_MAX + 1, NOW)
    with pytest.raises(ValueError, match="slip_id"):
        sign_slip(keyring, tracking_code, -1, NOW)
    with pytest.raises(ValueError, match="timezone"):
        sign_slip(keyring, tracking_code, 1, datetime(2025, 1, 1))
    with pytest.raises(ValueError, match="2106"):
        sign_slip(keyring, tracking_code, 1, datetime(1969, 12, 31, tzinfo=UTC))


def test_slip_url_is_upper_case_alphanumeric_within_qr_version_10(token: str) -> None:
    url = slip_url(BASE_URL, token)
    assert url == f"{BASE_URL.upper()}/V/{token}"
    assert set(url) <= set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
    symbol = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
    symbol.add_data(url)
    symbol.make(fit=True)
    assert symbol.version <= 10
    assert symbol.version == 8  # 179 characters; a change here changes the printed size


@pytest.mark.parametrize(
    "base",
    ["ftp://example.vn", "https://example.vn/?a=1", "https://ex_ample.vn", "example.vn", ""],
)
def test_slip_url_refuses_base_urls_that_leave_alphanumeric_mode(token: str, base: str) -> None:
    with pytest.raises(ValueError, match="base URL"):
        slip_url(base, token)


def test_slip_url_refuses_urls_too_long_for_version_10(token: str) -> None:
    with pytest.raises(ValueError, match="version 10"):
        slip_url("https://" + "a" * 170 + ".vn", token)


def test_token_from_scan(token: str) -> None:
    url = slip_url(BASE_URL, token)
    assert token_from_scan(url) == token
    assert token_from_scan(url.lower()).upper() == token
    assert token_from_scan(f"https://dichvucong.example.vn/v/{token}\r\n") == token
    assert token_from_scan(token) == token


def test_no_personal_data_and_a_fixed_length(keyring: KeyRing) -> None:
    """Tokens for different slips differ only in their fields: the length is fixed."""
    later = NOW + timedelta(days=400)
    assert len(sign_slip(keyring, code(99_999_000), SLIP_ID_MAX, later)) == TOKEN_LENGTH


def _decode(token: str) -> bytes:
    return base64.b32decode(token + "=" * (-len(token) % 8))


def _encode(raw: bytes) -> str:
    return base64.b32encode(raw).decode().rstrip("=")
