"""Fixtures for the slips: a key ring in a temporary folder, realistic slip
data with Vietnamese names, and the layouts shipped in labels/."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from postal_tracker import s10
from postal_tracker.slips.keys import KeyRing
from postal_tracker.slips.layouts import Layout, load_layouts
from postal_tracker.slips.model import (
    Delivery,
    DocumentLine,
    HandoverItem,
    HandoverSlipData,
    IntakeSlipData,
    LabelData,
    Party,
)
from postal_tracker.slips.token import sign_slip, slip_url

BASE_URL = "https://dichvucong.buudien-hn.example.vn"  # 40 characters, the longest we promise
assert len(BASE_URL) == 40
NOW = datetime(2025, 11, 27, 7, 5, 30, tzinfo=UTC)


def code(serial: int, prefix: str = "HS") -> str:
    """A tracking code the app could have issued, at or after ``serial``."""
    return s10.make(prefix, s10.next_issuable(serial))


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
def keyring(tmp_path: Path) -> KeyRing:
    return KeyRing.load_or_create(tmp_path / "keys", NOW)


@pytest.fixture(scope="session")
def layouts() -> dict[str, Layout]:
    return load_layouts()


@pytest.fixture
def tracking_code() -> str:
    return code(12_345_678)


@pytest.fixture
def intake_data(keyring: KeyRing, tracking_code: str) -> IntakeSlipData:
    url = slip_url(BASE_URL, sign_slip(keyring, tracking_code, 42, NOW))
    return IntakeSlipData(
        tracking_code=tracking_code,
        slip_id=42,
        qr_text=url,
        issued_at=NOW,
        sender=Party("Nguyễn Thị Phương Thảo", ""),
        sender_phone_e164="+84912345678",
        procedure_code="1.001193",
        procedure_name="Đăng ký khai sinh",
        agency="UBND xã Hóa Trung, huyện Đồng Hỷ",
        documents=(
            DocumentLine("Tờ khai đăng ký khai sinh", originals=1, pages=2),
            DocumentLine("Giấy chứng sinh", originals=1, pages=1),
            DocumentLine("Căn cước công dân của cha và mẹ", certified_copies=2, pages=2),
        ),
        fee_vnd=8_000,
        postage_vnd=25_000,
        seal_number="NP-000123",
        delivery=Delivery.HOME,
        delivery_address="Xóm Đồng Xe, xã Hóa Trung, huyện Đồng Hỷ, Thái Nguyên",
        officer=Party("Đỗ Thị Thu Nga", "Bộ phận một cửa xã Hóa Trung"),
    )


@pytest.fixture
def make_handover(keyring: KeyRing) -> Callable[[int], HandoverSlipData]:
    def make(count: int) -> HandoverSlipData:
        reference = code(50_000_000, "BG")
        url = slip_url(BASE_URL, sign_slip(keyring, reference, 7, NOW))
        items = tuple(
            HandoverItem(code(1_000 + 10 * n), documents=3, pages=12, seal_number=f"NP-{n:06d}")
            for n in range(count)
        )
        return HandoverSlipData(
            slip_id=7,
            qr_text=url,
            reference=reference,
            issued_at=NOW,
            giver=Party("Lương Thị Thu Hà", "Bưu điện văn hóa xã Hóa Trung"),
            receiver=Party("Trần Văn Bình", "Bưu cục Đồng Hỷ"),
            items=items,
            note="Túi số 3, niêm phong nguyên vẹn",
        )

    return make


@pytest.fixture
def make_labels(keyring: KeyRing) -> Callable[[int], list[LabelData]]:
    def make(count: int) -> list[LabelData]:
        labels = []
        for n in range(count):
            tracking = code(20_000_000 + 10 * n)
            url = slip_url(BASE_URL, sign_slip(keyring, tracking, 100_000 + n, NOW))
            labels.append(LabelData(tracking, url))
        return labels

    return make
