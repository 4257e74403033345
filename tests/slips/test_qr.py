"""QR symbols: the fixed mask, the version sums and the PNG for the web page."""

from __future__ import annotations

import io

import pytest
import qrcode
import zxingcpp
from PIL import Image

from postal_tracker.slips.keys import KeyRing
from postal_tracker.slips.qr import MASK_PATTERN, QUIET_ZONE, alphanumeric_version, make_qr, qr_png
from postal_tracker.slips.token import sign_slip, slip_url
from tests.slips.conftest import BASE_URL, NOW


def test_the_symbol_is_qrcodes_own_with_the_fixed_mask(
    keyring: KeyRing, tracking_code: str
) -> None:
    url = slip_url(BASE_URL, sign_slip(keyring, tracking_code, 1, NOW))
    symbol = make_qr(url)
    reference = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M, mask_pattern=MASK_PATTERN, border=0
    )
    reference.add_data(url)
    reference.make(fit=True)
    assert symbol.version == reference.version == 8
    assert symbol.size == reference.modules_count == 49
    for row in range(symbol.size):
        for column in range(symbol.size):
            assert symbol.is_dark(row, column) == bool(reference.modules[row][column])


@pytest.mark.slow
def test_the_version_sum_matches_qrcodes_search() -> None:
    for length in range(1, 312):
        reference = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
        reference.add_data(qrcode.util.QRData("A" * length, mode=2))  # alphanumeric mode
        reference.make(fit=True)
        assert alphanumeric_version(length) == reference.version, length
    assert alphanumeric_version(311) == 10


def test_text_outside_alphanumeric_mode_still_encodes() -> None:
    assert make_qr("https://example.vn/v/abc").version >= 1


def test_the_png_scans(keyring: KeyRing, tracking_code: str) -> None:
    url = slip_url(BASE_URL, sign_slip(keyring, tracking_code, 1, NOW))
    png = qr_png(url, module_px=4)
    image = Image.open(io.BytesIO(png))
    assert image.size == ((49 + 2 * QUIET_ZONE) * 4,) * 2
    assert [r.text for r in zxingcpp.read_barcodes(image)] == [url]
