"""The apology slip ("phiếu xin lỗi và hẹn lại ngày trả kết quả"), an A4 PDF
in Vietnamese, in the form of the official template (Circular 01/2018/TT-VPCP,
form 04): the agency, the dossier, the old and new dates, the reason, and a
box for the signature and seal.

Deterministic: the same data gives the same bytes (reportlab's invariant
mode), so a reprint matches the hash stored when the slip was issued. The
slip carries no QR code: it names the tracking code, never a URL.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas

from postal_tracker.slips.fonts import DEFAULT_FONTS, FontFiles, FontNames, register_fonts
from postal_tracker.slips.pdf import display_code

MM = 72 / 25.4
MARGIN = 20 * MM
BODY_SIZE = 11.5
LEADING = 16


@dataclass(frozen=True)
class ApologySlipData:
    slip_id: int
    agency_name: str
    agency_address: str
    procedure: str
    tracking_code: str
    citizen_name: str
    received_on: date
    old_date: date
    new_date: date
    reason: str
    clerk_name: str
    issued_on: date


def vn_date(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def render_apology_slip(data: ApologySlipData, fonts: FontFiles = DEFAULT_FONTS) -> bytes:
    """The slip as PDF bytes. Raises ``FontNotFound`` naming the package to install."""
    names = register_fonts(fonts)
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=True, pageCompression=True)
    canvas.setTitle(f"Phiếu xin lỗi và hẹn lại ngày trả kết quả số {data.slip_id}")
    canvas.setAuthor("Postal Tracker")
    canvas.setCreator("Postal Tracker")
    _Writer(canvas, names).slip(data)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


class _Writer:
    """Writes lines down the page, wrapping long text to the margins."""

    def __init__(self, canvas: Canvas, fonts: FontNames) -> None:
        self.canvas = canvas
        self.fonts = fonts
        self.width, height = A4
        self.y = height - MARGIN

    def centred(self, text: str, *, bold: bool = False, size: float = BODY_SIZE) -> None:
        font = self.fonts.bold if bold else self.fonts.regular
        for line in simpleSplit(text, font, size, self.width - 2 * MARGIN):
            self.canvas.setFont(font, size)
            self.canvas.drawCentredString(self.width / 2, self.y, line)
            self.y -= size + 5

    def para(self, text: str, *, label: str = "") -> None:
        """A paragraph, its optional bold label running into the text."""
        usable = self.width - 2 * MARGIN
        x = MARGIN
        if label:
            self.canvas.setFont(self.fonts.bold, BODY_SIZE)
            self.canvas.drawString(x, self.y, label)
            x += self.canvas.stringWidth(label + " ", self.fonts.bold, BODY_SIZE)
        first = simpleSplit(text, self.fonts.regular, BODY_SIZE, usable - (x - MARGIN))
        head = first[0] if first else ""
        rest = " ".join(text.split()[len(head.split()) :]) if first else ""
        self.canvas.setFont(self.fonts.regular, BODY_SIZE)
        self.canvas.drawString(x, self.y, head)
        self.y -= LEADING
        for line in simpleSplit(rest, self.fonts.regular, BODY_SIZE, usable):
            self.canvas.drawString(MARGIN, self.y, line)
            self.y -= LEADING

    def gap(self, points: float = 8) -> None:
        self.y -= points

    def slip(self, d: ApologySlipData) -> None:
        self.canvas.setFont(self.fonts.bold, 10)
        self.canvas.drawString(MARGIN, self.y, d.agency_name.upper())
        self.canvas.drawRightString(
            self.width - MARGIN, self.y, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
        )
        self.y -= 14
        self.canvas.setFont(self.fonts.regular, 10)
        self.canvas.drawString(MARGIN, self.y, f"Số: {d.slip_id}/PXL")
        self.canvas.drawRightString(self.width - MARGIN, self.y, "Độc lập - Tự do - Hạnh phúc")
        self.y -= 30
        self.centred("PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ", bold=True, size=14)
        self.gap(10)
        self.para(f"Kính gửi: Ông/Bà {d.citizen_name}")
        self.gap()
        self.para(
            f"{d.agency_name} đã tiếp nhận hồ sơ của Ông/Bà ngày {vn_date(d.received_on)}, "
            f"mã bưu gửi {display_code(d.tracking_code)}."
        )
        self.para(d.procedure, label="Thủ tục:")
        self.para(vn_date(d.old_date), label="Ngày hẹn trả kết quả:")
        self.gap(4)
        self.para(
            "Tuy nhiên, đến nay cơ quan chưa trả được kết quả giải quyết hồ sơ cho Ông/Bà "
            "đúng hẹn. Lý do:"
        )
        for paragraph in d.reason.splitlines() or [""]:
            self.para(paragraph.strip() or " ")
        self.gap(4)
        self.para(
            f"Cơ quan xin lỗi Ông/Bà vì sự chậm trễ này và hẹn trả kết quả vào "
            f"ngày {vn_date(d.new_date)}."
        )
        self.para(vn_date(d.new_date), label="Ngày hẹn trả kết quả mới:")
        self.para("Kết quả được chuyển về qua dịch vụ bưu chính công ích.")
        self.gap(20)
        self._signature_box(d)

    def _signature_box(self, d: ApologySlipData) -> None:
        box_w, box_h = 80 * MM, 42 * MM
        x = self.width - MARGIN - box_w
        top = self.y
        self.canvas.setFont(self.fonts.regular, 10)
        self.canvas.drawCentredString(x + box_w / 2, top, f"Ngày {vn_date(d.issued_on)}")
        self.canvas.setFont(self.fonts.bold, 10)
        self.canvas.drawCentredString(x + box_w / 2, top - 14, "NGƯỜI ĐẠI DIỆN CƠ QUAN")
        self.canvas.setFont(self.fonts.regular, 9)
        self.canvas.drawCentredString(x + box_w / 2, top - 26, "(Ký, ghi rõ họ tên và đóng dấu)")
        self.canvas.setLineWidth(0.6)
        self.canvas.rect(x, top - box_h, box_w, box_h - 32)
        self.canvas.setFont(self.fonts.regular, 10)
        self.canvas.drawCentredString(x + box_w / 2, top - box_h - 14, d.clerk_name)
        self.y = top - box_h - 30
