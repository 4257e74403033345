"""The apology slip ("phiếu xin lỗi và hẹn lại ngày trả kết quả"), an A4 PDF
in Vietnamese, in the form of the official template (Circular 01/2018/TT-VPCP,
form 04): the agency, the dossier, the old and new dates, the reason, and a
box for the signature and seal.

Drawn by the slips' engine (``slips.paper.render_story``), so deterministic:
the same data gives the same bytes. The slip carries no QR code: it names the
tracking code, never a URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from reportlab.lib.pagesizes import A4
from reportlab.platypus import Flowable, Paragraph, Spacer, Table

from postal_tracker.slips.fonts import DEFAULT_FONTS, FontFiles
from postal_tracker.slips.paper import MM, Styles, markup, render_story
from postal_tracker.slips.strings import display_code

MARGIN_MM = 20
BODY_SIZE = 11.5
SIGNATURE_WIDTH_MM = 80


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
    return render_story(
        lambda styles: _story(data, styles),
        f"Phiếu xin lỗi và hẹn lại ngày trả kết quả số {data.slip_id}",
        pagesize=A4,
        margin_mm=MARGIN_MM,
        fonts=fonts,
    )


def _story(d: ApologySlipData, styles: Styles) -> list[Flowable]:
    body = styles.text(BODY_SIZE)
    body.leading = 16

    def para(text: str, label: str = "") -> Paragraph:
        """A paragraph, its optional bold label running into the text."""
        bold = f"<font name='{styles.fonts.bold}'>{markup(label)}</font> " if label else ""
        return Paragraph(bold + markup(text), body)

    usable = A4[0] - 2 * MARGIN_MM * MM
    masthead = Table(
        [
            [
                styles.paragraph(d.agency_name.upper(), 10, bold=True),
                styles.paragraph(
                    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 10, bold=True, align="right"
                ),
            ],
            [
                styles.paragraph(f"Số: {d.slip_id}/PXL", 10),
                styles.paragraph("Độc lập - Tự do - Hạnh phúc", 10, align="right"),
            ],
        ],
        colWidths=[usable / 2, usable / 2],
        style=[("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0)],
    )
    reasons = [para(line.strip() or " ") for line in d.reason.splitlines() or [""]]
    return [
        masthead,
        Spacer(0, 20),
        styles.paragraph(
            "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ", 14, bold=True, align="center"
        ),
        Spacer(0, 14),
        para(f"Kính gửi: Ông/Bà {d.citizen_name}"),
        Spacer(0, 8),
        para(
            f"{d.agency_name} đã tiếp nhận hồ sơ của Ông/Bà ngày {vn_date(d.received_on)}, "
            f"mã bưu gửi {display_code(d.tracking_code)}."
        ),
        para(d.procedure, "Thủ tục:"),
        para(vn_date(d.old_date), "Ngày hẹn trả kết quả:"),
        Spacer(0, 4),
        para(
            "Tuy nhiên, đến nay cơ quan chưa trả được kết quả giải quyết hồ sơ cho Ông/Bà "
            "đúng hẹn. Lý do:"
        ),
        *reasons,
        Spacer(0, 4),
        para(
            f"Cơ quan xin lỗi Ông/Bà vì sự chậm trễ này và hẹn trả kết quả vào "
            f"ngày {vn_date(d.new_date)}."
        ),
        para(vn_date(d.new_date), "Ngày hẹn trả kết quả mới:"),
        para("Kết quả được chuyển về qua dịch vụ bưu chính công ích."),
        Spacer(0, 20),
        _signature_box(d, styles),
    ]


def _signature_box(d: ApologySlipData, styles: Styles) -> Table:
    width = SIGNATURE_WIDTH_MM * MM
    return Table(
        [
            [styles.paragraph(f"Ngày {vn_date(d.issued_on)}", 10, align="center")],
            [styles.paragraph("NGƯỜI ĐẠI DIỆN CƠ QUAN", 10, bold=True, align="center")],
            [styles.paragraph("(Ký, ghi rõ họ tên và đóng dấu)", 9, align="center")],
            [""],
            [styles.paragraph(d.clerk_name, 10, align="center")],
        ],
        colWidths=[width],
        rowHeights=[None, None, None, 42 * MM - 32, None],
        style=[("BOX", (0, 3), (0, 3), 0.6, (0, 0, 0))],
        hAlign="RIGHT",
    )
