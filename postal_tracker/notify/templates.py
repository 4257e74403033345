"""The Vietnamese texts of every notice, rendered when the notice is queued.

Email keeps the diacritics. SMS is plain ASCII (Vietnamese without diacritics,
which every phone shows and which keeps a message to one 160-character part);
when the values are long, the optional parts are shortened or left out, lowest
priority first. The tracking code and the dates are never cut.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from postal_tracker.notify.text import one_line, shorten, sms_text, strip_diacritics

SMS_LIMIT = 160
# A shortened value shorter than this says nothing useful: leave its part out.
MIN_SHORTENED = 12
# Field names holding ISO dates, shown as dd/mm/yyyy.
DATE_FIELDS = frozenset({"date", "old_date", "new_date", "next_date", "until_date"})


class NoticeError(ValueError):
    """A notice asked for with an unknown kind or a bad context."""


@dataclass(frozen=True)
class Part:
    """A piece of an SMS. ``priority`` 0 is always kept whole; otherwise, while
    the message is too long, parts go by descending priority: the value of
    ``cut`` is shortened if that leaves it useful, else the part is left out."""

    text: str
    priority: int = 0
    cut: str | None = None


@dataclass(frozen=True)
class NoticeTemplate:
    fields: tuple[str, ...]
    subject: str
    email: str
    sms: tuple[Part, ...]


@dataclass(frozen=True)
class RenderedNotice:
    subject: str
    email_body: str
    sms_body: str


GREETING = "Kính gửi Quý công dân,\n\n"
SIGNATURE = (
    "\n\nTrân trọng,\n"
    "Bưu điện - Dịch vụ bưu chính công ích\n"
    "(Thư gửi tự động, vui lòng không trả lời thư này.)\n"
)

TEMPLATES: dict[str, NoticeTemplate] = {
    "result_ready": NoticeTemplate(
        fields=("tracking_code", "procedure_name"),
        subject="Hồ sơ {tracking_code} đã có kết quả",
        email=(
            "Hồ sơ {tracking_code} (thủ tục: {procedure_name}) đã có kết quả giải quyết.\n"
            "Bưu điện sẽ chuyển kết quả đến Quý công dân theo hình thức đã đăng ký "
            "và sẽ báo trước ngày giao."
        ),
        sms=(
            Part("Hồ sơ {tracking_code}"),
            Part(" ({procedure_name})", 1, "procedure_name"),
            Part(" đã có kết quả. Bưu điện sẽ báo ngày giao kết quả."),
        ),
    ),
    "apology": NoticeTemplate(
        fields=("tracking_code", "procedure_name", "reason", "old_date", "new_date"),
        subject="Xin lỗi và hẹn lại ngày trả kết quả hồ sơ {tracking_code}",
        email=(
            "Cơ quan giải quyết thành thật xin lỗi vì chưa trả được kết quả hồ sơ "
            "{tracking_code} (thủ tục: {procedure_name}) đúng hẹn ngày {old_date}.\n"
            "Lý do: {reason}.\n"
            "Ngày hẹn trả kết quả mới: {new_date}.\n\n"
            "Mong Quý công dân thông cảm."
        ),
        sms=(
            Part("Xin lỗi: hồ sơ {tracking_code}"),
            Part(" ({procedure_name})", 2, "procedure_name"),
            Part(" chưa có kết quả đúng hẹn {old_date}. Hẹn mới: {new_date}."),
            Part(" Lý do: {reason}.", 1, "reason"),
        ),
    ),
    "delivery_scheduled": NoticeTemplate(
        fields=("tracking_code", "date", "window", "link"),
        subject="Lịch giao kết quả hồ sơ {tracking_code}: ngày {date}",
        email=(
            "Kết quả hồ sơ {tracking_code} sẽ được bưu điện giao tận nhà ngày {date}, "
            "trong khung giờ {window}.\n"
            "Để xác nhận, đổi ngày giao hoặc chọn nhận tại bưu cục: {link}\n\n"
            "Khi nhận, vui lòng xuất trình giấy tờ tùy thân."
        ),
        sms=(
            Part("Kết quả hồ sơ {tracking_code} giao ngày {date}"),
            Part(", {window}", 2),
            Part("."),
            Part(" Xác nhận/đổi lịch: {link}", 1),
        ),
    ),
    "delivery_reminder": NoticeTemplate(
        fields=("tracking_code", "date", "window", "link"),
        subject="Nhắc lịch: kết quả hồ sơ {tracking_code} giao ngày {date}",
        email=(
            "Bưu điện xin nhắc: kết quả hồ sơ {tracking_code} sẽ được giao tận nhà "
            "ngày {date}, trong khung giờ {window}.\n"
            "Nếu cần đổi ngày giao hoặc chọn nhận tại bưu cục: {link}"
        ),
        sms=(
            Part("Nhắc lịch: kết quả hồ sơ {tracking_code} giao ngày {date}"),
            Part(", {window}", 2),
            Part("."),
            Part(" Đổi lịch: {link}", 1),
        ),
    ),
    "delivery_failed": NoticeTemplate(
        fields=("tracking_code", "reason", "next_date", "window", "link"),
        subject="Giao kết quả hồ sơ {tracking_code} chưa thành công",
        email=(
            "Bưu điện đã đến giao kết quả hồ sơ {tracking_code} nhưng chưa giao được.\n"
            "Lý do: {reason}.\n"
            "Lần giao tiếp theo: ngày {next_date}, trong khung giờ {window}.\n"
            "Để đổi ngày giao hoặc chọn nhận tại bưu cục: {link}"
        ),
        sms=(
            Part("Chưa giao được kết quả hồ sơ {tracking_code}"),
            Part(" ({reason})", 3, "reason"),
            Part(". Giao lại ngày {next_date}"),
            Part(", {window}", 2),
            Part("."),
            Part(" Đổi lịch: {link}", 1),
        ),
    ),
    "held_for_pickup": NoticeTemplate(
        fields=("tracking_code", "place", "until_date"),
        subject="Kết quả hồ sơ {tracking_code} đang chờ Quý công dân đến nhận",
        email=(
            "Bưu điện đã nhiều lần giao kết quả hồ sơ {tracking_code} không thành công. "
            "Kết quả đang được giữ tại {place} đến hết ngày {until_date}.\n"
            "Vui lòng mang theo giấy tờ tùy thân khi đến nhận. Sau thời hạn trên, "
            "kết quả sẽ được chuyển trả cơ quan giải quyết."
        ),
        sms=(
            Part("Kết quả hồ sơ {tracking_code} đang được giữ"),
            Part(" tại {place}", 1, "place"),
            Part(", nhận trước hết ngày {until_date}"),
            Part(", mang theo giấy tờ tùy thân", 2),
            Part("."),
        ),
    ),
    "returned_to_agency": NoticeTemplate(
        fields=("tracking_code", "agency_name"),
        subject="Kết quả hồ sơ {tracking_code} đã chuyển trả cơ quan giải quyết",
        email=(
            "Do không giao được và đã quá thời hạn giữ tại bưu cục, kết quả hồ sơ "
            "{tracking_code} đã được chuyển trả về {agency_name}.\n"
            "Vui lòng liên hệ trực tiếp cơ quan này để nhận kết quả."
        ),
        sms=(
            Part("Kết quả hồ sơ {tracking_code} đã chuyển trả"),
            Part(" về {agency_name}", 1, "agency_name"),
            Part(". Vui lòng liên hệ cơ quan giải quyết để nhận."),
        ),
    ),
    "pickup_ready": NoticeTemplate(
        fields=("tracking_code", "place", "until_date"),
        subject="Kết quả hồ sơ {tracking_code} sẵn sàng để Quý công dân đến nhận",
        email=(
            "Kết quả hồ sơ {tracking_code} đã sẵn sàng tại {place}.\n"
            "Vui lòng đến nhận trước hết ngày {until_date} và mang theo giấy tờ tùy thân."
        ),
        sms=(
            Part("Kết quả hồ sơ {tracking_code} đã sẵn sàng"),
            Part(" tại {place}", 1, "place"),
            Part(". Nhận trước hết ngày {until_date}"),
            Part(", mang theo giấy tờ tùy thân", 2),
            Part("."),
        ),
    ),
}

KINDS = frozenset(TEMPLATES)


def render(kind: str, context: Mapping[str, Any]) -> RenderedNotice:
    """Subject, email body and SMS text of a notice; NoticeError on an unknown
    kind, a missing field or a date that is not ISO ``YYYY-MM-DD``."""
    template = TEMPLATES.get(kind)
    if template is None:
        raise NoticeError(f"unknown notice kind {kind!r}; known: {', '.join(sorted(KINDS))}")
    values = _values(kind, template, context)
    return RenderedNotice(
        subject=template.subject.format(**values),
        email_body=GREETING + template.email.format(**values) + SIGNATURE,
        sms_body=render_sms(template.sms, values),
    )


def _values(kind: str, template: NoticeTemplate, context: Mapping[str, Any]) -> dict[str, str]:
    missing = [f for f in template.fields if f not in context]
    if missing:
        raise NoticeError(f"notice {kind!r} needs context keys: {', '.join(missing)}")
    values: dict[str, str] = {}
    for name in template.fields:
        raw = context[name]
        if not isinstance(raw, str | int) or isinstance(raw, bool):
            raise NoticeError(f"notice {kind!r}: {name} must be text or a number")
        text = one_line(str(raw)).rstrip(" .")
        if name in DATE_FIELDS:
            text = _display_date(kind, name, text)
        if not text:
            raise NoticeError(f"notice {kind!r}: {name} is empty")
        values[name] = text
    return values


def _display_date(kind: str, name: str, iso: str) -> str:
    try:
        return date.fromisoformat(iso).strftime("%d/%m/%Y")
    except ValueError:
        raise NoticeError(
            f"notice {kind!r}: {name} must be a date YYYY-MM-DD, not {iso!r}"
        ) from None


@cache
def _plain_parts(parts: tuple[Part, ...]) -> tuple[str, ...]:
    """The parts' texts without diacritics (the same for every notice of a kind)."""
    return tuple(strip_diacritics(p.text) for p in parts)


def render_sms(parts: tuple[Part, ...], values: Mapping[str, str]) -> str:
    """The SMS within SMS_LIMIT: parts of priority 0 whole; the others, highest
    priority number first, shortened to fit or left out; then any part left out
    that fits again (perhaps shortened) is put back, most needed first."""
    plain = {name: sms_text(value) for name, value in values.items()}
    texts = _plain_parts(parts)
    dropped: set[int] = set()
    limits: dict[str, int] = {}  # cut field -> the length it is shortened to

    def over() -> int:
        return len(build()) - SMS_LIMIT

    def build() -> str:
        shown = {**plain, **{n: shorten(plain[n], size) for n, size in limits.items()}}
        text = "".join(t.format(**shown) for i, t in enumerate(texts) if i not in dropped)
        return text.replace("....", "...")  # a shortened value before a full stop

    def shorten_to_fit(i: int) -> bool:
        cut = parts[i].cut
        if cut is None:
            return False
        # Cuts at word boundaries make lengths uneven: the first size or two fit.
        for size in range(len(plain[cut]) - over(), MIN_SHORTENED - 1, -1):
            limits[cut] = size
            if over() <= 0:
                return True
        limits.pop(cut, None)
        return False

    order = sorted((i for i, p in enumerate(parts) if p.priority), key=lambda i: -parts[i].priority)
    for i in order:
        if over() <= 0:
            break
        if not shorten_to_fit(i):
            dropped.add(i)
    for i in reversed(order):
        if i in dropped:
            dropped.discard(i)
            if over() > 0 and not shorten_to_fit(i):
                dropped.add(i)
    text = build()
    if len(text) > SMS_LIMIT:
        # Only the kept parts are left: the tracking code or a date is malformed.
        raise NoticeError(f"SMS cannot fit in {SMS_LIMIT} characters: {text!r}")
    return text
