"""The run list and the delivery slip as PDFs (A4, Vietnamese), drawn by the
slips' engine (``slips.paper.render_story``): the same rows give the same bytes."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Image, Paragraph, Spacer, Table

from postal_tracker.delivery.queries import Stop
from postal_tracker.slips.fonts import DEFAULT_FONTS, FontFiles
from postal_tracker.slips.paper import MM, Styles, markup, read_image, render_story
from postal_tracker.slips.strings import display_code

MARGIN_MM = 15
# Columns: no., code, recipient and address, window, signature.
COLUMNS = (8 * MM, 40 * MM, 80 * MM, 22 * MM, 30 * MM)
SIZE = 9
LEADING = 11.5


def render_run_list(
    worker_name: str, day: date, stops: list[Stop], fonts: FontFiles = DEFAULT_FONTS
) -> bytes:
    """The day's stops, one table row each (the header repeated on every page)."""
    title = f"Danh sách phát ngày {day:%d/%m/%Y}"

    def story(styles: Styles) -> list[Flowable]:
        cell = styles.text(SIZE)
        cell.leading = LEADING
        header: list[str | Paragraph] = [
            "TT",
            "Mã bưu gửi",
            "Người nhận, địa chỉ",
            "Khung giờ",
            "Ký nhận",
        ]
        rows: list[list[str | Paragraph]] = [header]
        for n, stop in enumerate(stops, 1):
            kind = "Nhận tại điểm: " + stop.place if stop.kind == "pickup" else stop.address
            who = (
                markup(f"{stop.name} — {stop.phone}") + "<br/>" + markup(f"{stop.commune}: {kind}")
            )
            rows.append(
                [
                    str(n),
                    Paragraph(
                        f"{markup(display_code(stop.tracking_code))}<br/>Lần {stop.attempt}", cell
                    ),
                    Paragraph(who, cell),
                    f"{stop.window_start:%H:%M}–{stop.window_end:%H:%M}",
                    "",
                ]
            )
        table = Table(
            rows,
            colWidths=list(COLUMNS),
            repeatRows=1,
            hAlign="LEFT",
            style=[
                ("FONT", (0, 0), (-1, -1), styles.fonts.regular, SIZE, LEADING),
                ("FONT", (0, 0), (-1, 0), styles.fonts.bold, SIZE, LEADING),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, 0), 1, (0, 0, 0)),
                ("LINEBELOW", (0, 1), (-1, -1), 0.3, (0, 0, 0)),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 1), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 1), (-1, -1), 6),
            ],
        )
        return [
            styles.paragraph(title.upper(), 13, bold=True),
            Spacer(0, 4),
            styles.paragraph(f"Bưu tá: {worker_name} — {len(stops)} điểm phát", 10),
            Spacer(0, 8),
            table,
        ]

    def page_number(canvas: Canvas, styles: Styles, page: int) -> None:
        canvas.setFont(styles.fonts.regular, 9)
        canvas.drawRightString(A4[0] - MARGIN_MM * MM, A4[1] - MARGIN_MM * MM + 4, f"Trang {page}")

    return render_story(
        story, title, pagesize=A4, margin_mm=MARGIN_MM, fonts=fonts, on_page=page_number
    )


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

    def story(styles: Styles) -> list[Flowable]:
        usable = A4[0] - 2 * MARGIN_MM * MM
        fields = Table(
            [
                [
                    styles.paragraph(label + ":", 10, bold=True),
                    # A hash is long and unbroken: smaller, so it fits the line.
                    styles.paragraph(value, 10 if len(value) < 60 else 7.5),
                ]
                for label, value in rows
            ],
            colWidths=[55 * MM, usable - 55 * MM],
            hAlign="LEFT",
            style=[("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)],
        )
        story: list[Flowable] = [
            styles.paragraph(
                "PHIẾU GIAO KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH", 14, bold=True, align="center"
            ),
            Spacer(0, 12),
            fields,
            Spacer(0, 10),
            styles.paragraph("Chữ ký người nhận:", 10, bold=True),
        ]
        if data.signature_png:
            width, height = read_image(data.signature_png).getSize()
            scale = min(75 * MM / width, 35 * MM / height)
            story.append(
                Image(
                    io.BytesIO(data.signature_png),
                    width=width * scale,
                    height=height * scale,
                    hAlign="LEFT",
                )
            )
        return story

    return render_story(
        story,
        f"Phiếu giao kết quả số {data.delivery_id}",
        pagesize=A4,
        margin_mm=MARGIN_MM,
        fonts=fonts,
    )
