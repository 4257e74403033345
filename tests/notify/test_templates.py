"""Vietnamese notice texts: email with diacritics, SMS in ASCII within 160
characters, the tracking code and the dates never cut."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from postal_tracker.notify.templates import (
    DATE_FIELDS,
    KINDS,
    SMS_LIMIT,
    TEMPLATES,
    NoticeError,
    render,
)
from postal_tracker.notify.text import _SPECIAL, mask_recipient, shorten, strip_diacritics

CODE = "HC123456785VN"
LONG = (
    "Cấp giấy chứng nhận quyền sử dụng đất, quyền sở hữu nhà ở và tài sản khác gắn liền "
    "với đất lần đầu cho hộ gia đình, cá nhân đang sử dụng đất tại xã Tràng Xá, huyện Võ Nhai"
)
SHORT: dict[str, Any] = {
    "tracking_code": CODE,
    "procedure_name": "Cấp giấy phép kinh doanh",
    "reason": "Cần bổ sung ý kiến Sở Xây dựng",
    "old_date": "2026-12-01",
    "new_date": "2026-12-15",
    "date": "2026-12-03",
    "next_date": "2026-12-04",
    "until_date": "2026-12-20",
    "window": "08:00-11:30",
    "link": "http://localhost/n/AB12CD",
    "place": "Bưu điện xã Tràng Xá",
    "agency_name": "Sở Công Thương",
}
DISPLAY = {
    "2026-12-01": "01/12/2026",
    "2026-12-15": "15/12/2026",
    "2026-12-03": "03/12/2026",
    "2026-12-04": "04/12/2026",
    "2026-12-20": "20/12/2026",
}


def _context(kind: str, base: dict[str, Any]) -> dict[str, Any]:
    return {f: base[f] for f in TEMPLATES[kind].fields}


def _long(kind: str) -> dict[str, Any]:
    values = dict(SHORT)
    for name in ("procedure_name", "reason", "place", "agency_name", "window"):
        values[name] = LONG
    values["link"] = "https://tracuu.buudien.example.vn/n/" + "X" * 120
    return _context(kind, values)


def _is_sms_text(text: str) -> bool:
    return all(" " <= c <= "~" for c in text)


def test_there_is_a_template_for_every_kind_the_brief_names() -> None:
    assert set(KINDS) == {
        "result_ready",
        "apology",
        "delivery_scheduled",
        "delivery_reminder",
        "delivery_failed",
        "held_for_pickup",
        "returned_to_agency",
        "pickup_ready",
    }


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_short_values_are_all_in_both_texts(kind: str) -> None:
    context = _context(kind, SHORT)
    notice = render(kind, context)
    assert CODE in notice.subject
    assert notice.email_body.startswith("Kính gửi Quý công dân,")
    assert len(notice.sms_body) <= SMS_LIMIT
    assert _is_sms_text(notice.sms_body)
    for name, value in context.items():
        shown = DISPLAY[value] if name in DATE_FIELDS else value
        assert shown in notice.email_body, name
        # Every value of a short notice fits in the SMS too, without diacritics.
        assert strip_diacritics(shown) in notice.sms_body, name


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_long_values_shorten_the_sms_but_never_the_code_or_dates(kind: str) -> None:
    context = _long(kind)
    notice = render(kind, context)
    assert len(notice.sms_body) <= SMS_LIMIT, notice.sms_body
    assert _is_sms_text(notice.sms_body)
    assert CODE in notice.sms_body
    for name in set(context) & DATE_FIELDS:
        assert DISPLAY[context[name]] in notice.sms_body, name
    # The email keeps everything, whole and with its diacritics.
    for name in set(context) - DATE_FIELDS:
        assert str(context[name]) in notice.email_body, name
    assert "tracuu.buudien.example.vn/n/XX" not in notice.sms_body  # a cut link is useless


def test_a_long_place_is_shortened_not_dropped() -> None:
    notice = render("pickup_ready", _long("pickup_ready"))
    assert "tai Cap giay chung nhan quyen su dung dat" in notice.sms_body
    assert "..." in notice.sms_body
    assert notice.sms_body.endswith(".")


def test_the_exact_sms_of_a_failed_delivery() -> None:
    notice = render("delivery_failed", _context("delivery_failed", SHORT))
    assert notice.sms_body == (
        "Chua giao duoc ket qua ho so HC123456785VN (Can bo sung y kien So Xay dung). "
        "Giao lai ngay 04/12/2026, 08:00-11:30. Doi lich: http://localhost/n/AB12CD"
    )


def test_newlines_in_a_value_never_reach_a_subject_or_an_sms() -> None:
    context = _context("returned_to_agency", {**SHORT, "agency_name": "Sở\nCông\r\nThương"})
    notice = render("returned_to_agency", context)
    assert "\n" not in notice.subject
    assert "ve So Cong Thuong." in notice.sms_body


def test_a_malformed_tracking_code_that_cannot_fit_is_refused() -> None:
    with pytest.raises(NoticeError, match="cannot fit"):
        render("result_ready", {"tracking_code": "X" * 200, "procedure_name": "p"})


@settings(max_examples=200, deadline=None)
@given(
    kind=st.sampled_from(sorted(KINDS)),
    text=st.text(min_size=1, max_size=400).filter(lambda t: t.strip(" .\t\n\r\x0b\x0c")),
)
def test_any_free_text_gives_an_ascii_sms_within_the_limit(kind: str, text: str) -> None:
    values = {**SHORT, **{n: text for n in ("procedure_name", "reason", "place", "agency_name")}}
    try:
        notice = render(kind, _context(kind, values))
    except NoticeError as exc:  # only a value that is nothing but spaces is refused
        assert "is empty" in str(exc)
        return
    assert len(notice.sms_body) <= SMS_LIMIT
    assert _is_sms_text(notice.sms_body)
    assert CODE in notice.sms_body


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("Đường Hoàng Văn Thụ, phường Đồng Quang", "Duong Hoang Van Thu, phuong Dong Quang"),
        ("Sở Công Thương “tỉnh” – Thái Nguyên…", 'So Cong Thuong "tinh" - Thai Nguyen...'),
        ("ỨỪỬỮỰ ứừửữự ÝỲỶỸỴ ýỳỷỹỵ", "UUUUU uuuuu YYYYY yyyyy"),
        ("漢字 và emoji 📮", " va emoji "),
    ],
)
def test_diacritics_are_stripped(text: str, plain: str) -> None:
    assert strip_diacritics(text) == plain


@settings(max_examples=500)
@given(st.text(alphabet=st.characters(codec="utf-8")) | st.text("ĐđÂẦẤẬăằặơờợưừự“”–…\u00a0 aZ~"))
def test_diacritics_are_stripped_as_mark_by_mark(text: str) -> None:
    """The one-pass removal equals dropping combining marks one character at a
    time and then anything outside printable ASCII (the first, slower way)."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_SPECIAL))
    kept = (c for c in decomposed if not unicodedata.combining(c))
    assert strip_diacritics(text) == "".join(c for c in kept if " " <= c <= "~")


def test_shorten_cuts_at_a_word_and_marks_the_cut() -> None:
    assert shorten("Bưu điện xã Tràng Xá", 100) == "Bưu điện xã Tràng Xá"
    assert shorten("Buu dien xa Trang Xa huyen Vo Nhai", 20) == "Buu dien xa Trang..."
    assert len(shorten("x" * 50, 20)) == 20


@pytest.mark.parametrize(
    ("recipient", "masked"),
    [
        ("+84912345678", "09xx xxx 678"),
        ("thao.nguyen@example.vn", "t***@example.vn"),
        ("@example.vn", "***"),
    ],
)
def test_recipients_are_masked_for_logs(recipient: str, masked: str) -> None:
    assert mask_recipient(recipient) == masked


def test_the_link_outranks_the_window_and_the_reason() -> None:
    link = "https://tracuu.buudien.vn/c/" + "A" * 46  # as long as a real signed link
    context = {**_context("delivery_failed", SHORT), "link": link, "reason": LONG}
    sms = render("delivery_failed", context).sms_body
    assert sms == (
        f"Chua giao duoc ket qua ho so {CODE}. Giao lai ngay 04/12/2026. Doi lich: {link}"
    )


def test_a_part_left_out_early_comes_back_shortened_when_room_is_left() -> None:
    # The reason goes first, but once the window is out there is room for a
    # shortened reason again.
    context = {**_context("delivery_failed", SHORT), "window": LONG, "reason": LONG}
    sms = render("delivery_failed", context).sms_body
    assert sms.startswith(f"Chua giao duoc ket qua ho so {CODE} (Cap giay")
    assert "...)" in sms and "Doi lich: http://localhost/n/AB12CD" in sms
    assert len(sms) <= SMS_LIMIT
