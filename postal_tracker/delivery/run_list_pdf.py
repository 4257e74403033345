"""The run list and the delivery slip as PDFs (A4, Vietnamese, DejaVu fonts
from the slips package). Deterministic: the same rows give the same bytes."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime

from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas

from postal_tracker.delivery.queries import Stop
from postal_tracker.slips.fonts import DEFAULT_FONTS, FontFiles, FontNames, register_fonts
from postal_tracker.slips.pdf import display_code

MM = 72 / 25.4
MARGIN = 15 * MM
# Columns: no., code, recipient and address, window, signature.
COLUMNS = (8 * MM, 40 * MM, 80 * MM, 22 * MM, 30 * MM)
SIZE = 9
LEADING = 11.5


def _canvas(buffer: io.BytesIO, title: str, fonts: FontFiles) -> tuple[Canvas, FontNames]:
    names = register_fonts(fonts)
    canvas = Canvas(buffer, pagesize=A4, invariant=True, pageCompression=True)
    canvas.setTitle(title)
    canvas.setAuthor("Postal Tracker")
    canvas.setCreator("Postal Tracker")
    return canvas, names


def render_run_list(
    worker_name: str, day: date, stops: list[Stop], fonts: FontFiles = DEFAULT_FONTS
) -> bytes:
    buffer = io.BytesIO()
    title = f"Danh sách phát ngày {day:%d/%m/%Y}"
    canvas, names = _canvas(buffer, title, fonts)
    width, height = A4
    page = 1

    def header() -> float:
        y = height - MARGIN
        canvas.setFont(names.bold, 13)
        canvas.drawString(MARGIN, y, title.upper())
        canvas.setFont(names.regular, 9)
        canvas.drawRightString(width - MARGIN, y, f"Trang {page}")
        y -= 16
        canvas.setFont(names.regular, 10)
        canvas.drawString(MARGIN, y, f"Bưu tá: {worker_name} — {len(stops)} điểm phát")
        y -= 18
        canvas.setFont(names.bold, SIZE)
        x = MARGIN
        for label, w in zip(
            ("TT", "Mã bưu gửi", "Người nhận, địa chỉ", "Khung giờ", "Ký nhận"),
            COLUMNS,
            strict=True,
        ):
            canvas.drawString(x, y, label)
            x += w
        canvas.line(MARGIN, y - 4, width - MARGIN, y - 4)
        return y - 16

    y = header()
    for n, stop in enumerate(stops, 1):
        kind = "Nhận tại điểm: " + stop.place if stop.kind == "pickup" else stop.address
        lines = [f"{stop.name} — {stop.phone}"]
        lines += simpleSplit(f"{stop.commune}: {kind}", names.regular, SIZE, COLUMNS[2] - 4)
        needed = LEADING * max(2, len(lines)) + 8
        if y - needed < MARGIN:
            canvas.showPage()
            page += 1
            y = header()
        canvas.setFont(names.regular, SIZE)
        x = MARGIN
        canvas.drawString(x, y, str(n))
        x += COLUMNS[0]
        canvas.drawString(x, y, display_code(stop.tracking_code))
        canvas.drawString(x, y - LEADING, f"Lần {stop.attempt}")
        x += COLUMNS[1]
        for i, line in enumerate(lines):
            canvas.drawString(x, y - i * LEADING, line)
        x += COLUMNS[2]
        canvas.drawString(x, y, f"{stop.window_start:%H:%M}–{stop.window_end:%H:%M}")
        y -= needed
        canvas.setLineWidth(0.3)
        canvas.line(MARGIN, y + 6, width - MARGIN, y + 6)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


@dataclass(frozen=True)
class SlipData:
    delivery_id: int
    tracking_code: str
    procedure: str
    recipient_name: str
    relation: str
    authorisation_ref: str
    id_checked: bool
    originals_returned: bool
    originals_note: str
    worker_name: str
    delivered_at: datetime  # in Vietnam's time
    signature_sha256: str
    photo_sha256: str
    signature_png: bytes | None


def render_delivery_slip(data: SlipData, fonts: FontFiles = DEFAULT_FONTS) -> bytes:
    """The delivery slip ("phiếu giao kết quả"): who received what, when, with the signature."""
    from reportlab.lib.utils import ImageReader

    buffer = io.BytesIO()
    canvas, names = _canvas(buffer, f"Phiếu giao kết quả số {data.delivery_id}", fonts)
    width, height = A4
    y = height - MARGIN
    canvas.setFont(names.bold, 14)
    canvas.drawCentredString(width / 2, y, "PHIẾU GIAO KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH")
    y -= 26
    rows = [
        ("Số phiếu", str(data.delivery_id)),
        ("Mã bưu gửi", display_code(data.tracking_code)),
        ("Thủ tục", data.procedure),
        ("Người nhận", data.recipient_name),
        (
            "Quan hệ",
            data.relation + (f" ({data.authorisation_ref})" if data.authorisation_ref else ""),
        ),
        ("Đối chiếu giấy tờ tùy thân", "Có" if data.id_checked else "Không có số trên hồ sơ"),
        (
            "Thu lại bản chính",
            ("Có" if data.originals_returned else "Không")
            + (f": {data.originals_note}" if data.originals_note else ""),
        ),
        ("Bưu tá", data.worker_name),
        ("Thời gian giao", data.delivered_at.strftime("%H:%M %d/%m/%Y")),
        ("Mã băm chữ ký", data.signature_sha256),
    ]
    if data.photo_sha256:
        rows.append(("Mã băm ảnh", data.photo_sha256))
    for label, value in rows:
        canvas.setFont(names.bold, 10)
        canvas.drawString(MARGIN, y, label + ":")
        canvas.setFont(names.regular, 10 if len(value) < 60 else 7.5)
        for line in simpleSplit(value, names.regular, 10, width - 2 * MARGIN - 55 * MM) or [""]:
            canvas.drawString(MARGIN + 55 * MM, y, line)
            y -= 15
    y -= 10
    canvas.setFont(names.bold, 10)
    canvas.drawString(MARGIN, y, "Chữ ký người nhận:")
    if data.signature_png:
        canvas.drawImage(
            ImageReader(io.BytesIO(data.signature_png)),
            MARGIN,
            y - 40 * MM,
            width=75 * MM,
            height=35 * MM,
            preserveAspectRatio=True,
            mask="auto",
        )
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
