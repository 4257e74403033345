"""Every word printed on a slip, in Vietnamese and English.

Kept here rather than in the app's Flask-Babel catalogues so that slips
render without Flask (from the command line, a worker or a test).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta, timezone

from postal_tracker import s10

DEFAULT_LANGUAGE = "vi"

STRINGS: Mapping[str, Mapping[str, str]] = {
    "vi": {
        "receipt_title": "PHIẾU TIẾP NHẬN HỒ SƠ",
        "receipt_subtitle": "Liên 1: giao người gửi giữ",
        "envelope_title": "PHIẾU HỒ SƠ",
        "envelope_subtitle": "Liên 2: dán ngoài bì hồ sơ đã niêm phong",
        "handover_title": "BIÊN BẢN BÀN GIAO",
        "handover_subtitle_one": "Bàn giao bưu gửi hồ sơ",
        "handover_subtitle_many": "Bảng kê bàn giao {count} bưu gửi",
        "copy_mark": "BẢN SAO",
        "sender": "Người gửi",
        "on_behalf": "(theo ủy quyền)",
        "phone": "Điện thoại",
        "procedure": "Thủ tục",
        "agency": "Cơ quan giải quyết",
        "documents": "Thành phần hồ sơ",
        "col_number": "STT",
        "col_document": "Tên giấy tờ",
        "col_originals": "Bản chính",
        "col_certified": "Bản sao CT",
        "col_photocopies": "Bản chụp",
        "col_pages": "Số trang",
        "total": "Tổng cộng",
        "fee": "Lệ phí",
        "postage": "Cước phí",
        "amount_due": "Tổng tiền",
        "seal": "Số niêm phong",
        "delivery": "Nhận kết quả",
        "delivery_home": "Tại nhà: {address}",
        "delivery_home_short": "Tại nhà",
        "delivery_pickup": "Tại bộ phận một cửa",
        "officer": "Cán bộ tiếp nhận",
        "accepted_at": "Nơi tiếp nhận",
        "time": "Thời gian",
        "giver": "Bên giao",
        "receiver": "Bên nhận",
        "item_count": "Số bưu gửi",
        "col_tracking": "Số hiệu bưu gửi",
        "col_documents": "Số giấy tờ",
        "col_seal": "Số niêm phong",
        "note": "Ghi chú",
        "sign_hint": "(Ký, ghi rõ họ tên)",
        "signed_electronically": "Đã ký điện tử",
        "slip_number": "Phiếu số {slip_id}",
        "page": "Trang {page}/{pages}",
        "verify_hint": "Quét mã QR để kiểm tra phiếu",
        "continued": "(tiếp theo)",
        "time_format": "{hh:02d}:{mm:02d} ngày {day:02d}/{month:02d}/{year} (GMT+7)",
    },
    "en": {
        "receipt_title": "DOSSIER RECEIPT",
        "receipt_subtitle": "Part 1: for the sender to keep",
        "envelope_title": "DOSSIER SLIP",
        "envelope_subtitle": "Part 2: attach to the sealed envelope",
        "handover_title": "HANDOVER RECORD",
        "handover_subtitle_one": "Handover of a dossier item",
        "handover_subtitle_many": "Manifest of {count} items",
        "copy_mark": "COPY",
        "sender": "Sender",
        "on_behalf": "(authorised representative)",
        "phone": "Phone",
        "procedure": "Procedure",
        "agency": "Resolving agency",
        "documents": "Documents",
        "col_number": "No.",
        "col_document": "Document",
        "col_originals": "Originals",
        "col_certified": "Cert. copies",
        "col_photocopies": "Photocopies",
        "col_pages": "Pages",
        "total": "Total",
        "fee": "Fee",
        "postage": "Postage",
        "amount_due": "Amount due",
        "seal": "Seal number",
        "delivery": "Result delivery",
        "delivery_home": "To the home: {address}",
        "delivery_home_short": "To the home",
        "delivery_pickup": "Pickup at the one-stop desk",
        "officer": "Intake officer",
        "accepted_at": "Accepted at",
        "time": "Time",
        "giver": "Handed over by",
        "receiver": "Received by",
        "item_count": "Items",
        "col_tracking": "Tracking code",
        "col_documents": "Documents",
        "col_seal": "Seal number",
        "note": "Note",
        "sign_hint": "(Signature and full name)",
        "signed_electronically": "Signed electronically",
        "slip_number": "Slip no. {slip_id}",
        "page": "Page {page}/{pages}",
        "verify_hint": "Scan the QR code to check this slip",
        "continued": "(continued)",
        "time_format": "{hh:02d}:{mm:02d} {day:02d}/{month:02d}/{year} (GMT+7)",
    },
}


def strings_for(lang: str) -> Mapping[str, str]:
    """The strings of ``lang`` (``"vi"`` or ``"en"``); ``ValueError`` otherwise."""
    try:
        return STRINGS[lang]
    except KeyError:
        raise ValueError(
            f"no slip strings for language {lang!r}; use one of {sorted(STRINGS)}"
        ) from None


VIETNAM_TIME = timezone(timedelta(hours=7), "ICT")  # no daylight saving time


def format_time(when: datetime, lang: str) -> str:
    """``when`` in Vietnam time, as slips print it."""
    local = when.astimezone(VIETNAM_TIME)
    return strings_for(lang)["time_format"].format(
        hh=local.hour, mm=local.minute, day=local.day, month=local.month, year=local.year
    )


def format_vnd(amount: int, lang: str) -> str:
    """``25.000 ₫`` in Vietnamese, ``25,000 ₫`` in English."""
    grouped = f"{amount:,}"
    if strings_for(lang) is STRINGS["vi"]:
        grouped = grouped.replace(",", ".")
    return f"{grouped} ₫"


def display_code(code: str) -> str:
    """A tracking code grouped for reading (``HS 1234 5678 5 VN``) when it is one."""
    return s10.format_code(code) if s10.is_valid(code) else code
