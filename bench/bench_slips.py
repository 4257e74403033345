"""Benchmark: slips and labels, ours against the naive way, in one run.

Naive: ``qrcode.make`` (tries all eight masks), a PIL image per QR pasted
into the PDF, one ``drawString`` per line. Ours: the slips' engine on
reportlab's public API (``postal_tracker.slips.paper``): a fixed mask, the QR
drawn as vector rectangles (once per slip, a form shared by its parts), the
body a platypus story, single lines drawn as they are.

Times are medians of several runs without tracing; peak memory comes from a
separate run under ``tracemalloc`` (which slows code down, so it is not timed).

``run()`` returns one row per measurement; ``python -m bench.bench_slips``
prints them as a table.
"""

from __future__ import annotations

import io
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import qrcode
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from postal_tracker import s10
from postal_tracker.slips.fonts import register_fonts
from postal_tracker.slips.intake_slip import render_intake_slip
from postal_tracker.slips.keys import KeyRing
from postal_tracker.slips.label_sheet import render_labels
from postal_tracker.slips.layouts import load_layouts
from postal_tracker.slips.model import Delivery, DocumentLine, IntakeSlipData, LabelData, Party
from postal_tracker.slips.paper import MM
from postal_tracker.slips.token import sign_slip, slip_url

BASE_URL = "https://dichvucong.buudien-hn.example.vn"  # 40 characters
NOW = datetime(2025, 11, 27, 7, 5, tzinfo=UTC)
SLIP_RUNS = 30
LABEL_COUNT = 1_000
LABEL_RUNS = 3
SLIP_GOAL_MS = 15.0
LABELS_GOAL_MS = 5_000.0


def run() -> list[dict[str, Any]]:
    """Measure and return the rows (see the module docstring)."""
    with tempfile.TemporaryDirectory() as directory:
        ring = KeyRing.load_or_create(Path(directory) / "keys", NOW)
        slip = _slip_data(ring)
        labels = _labels(ring, LABEL_COUNT)
    layouts = load_layouts()
    a6, sheet = layouts["a6-slip"], layouts["a4-label-sheet"]
    register_fonts()  # once per process in the app too; not part of a render

    naive_slip = _measure("a6 intake slip, naive", lambda: _naive_a6_slip(slip), SLIP_RUNS)
    our_slip = _measure("a6 intake slip", lambda: render_intake_slip(slip, a6).pdf, SLIP_RUNS)
    naive_labels = _measure(
        f"{LABEL_COUNT} labels on A4 sheets, naive", lambda: _naive_labels(labels), 1
    )
    our_labels = _measure(
        f"{LABEL_COUNT} labels on A4 sheets", lambda: render_labels(labels, sheet).pdf, LABEL_RUNS
    )
    _compare(our_slip, naive_slip, SLIP_GOAL_MS)
    _compare(our_labels, naive_labels, LABELS_GOAL_MS)
    return [naive_slip, our_slip, naive_labels, our_labels]


def _measure(name: str, render: Callable[[], bytes], runs: int) -> dict[str, Any]:
    if runs > 1:
        render()  # warm up caches; single long runs are warm from the slip runs
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        size = len(render())
        times.append((time.perf_counter() - start) * 1000)
    tracemalloc.start()
    try:
        render()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return {
        "name": name,
        "runs": runs,
        "median_ms": round(statistics.median(times), 2),
        "min_ms": round(min(times), 2),
        "peak_mib": round(peak / 2**20, 2),
        "pdf_kib": round(size / 1024, 1),
    }


def _compare(ours: dict[str, Any], baseline: dict[str, Any], goal_ms: float) -> None:
    ours["goal_ms"] = goal_ms
    ours["meets_goal"] = ours["median_ms"] <= goal_ms
    ours["baseline_median_ms"] = baseline["median_ms"]
    ours["baseline_peak_mib"] = baseline["peak_mib"]
    ours["speedup"] = round(baseline["median_ms"] / ours["median_ms"], 1)
    ours["memory_ratio"] = round(ours["peak_mib"] / baseline["peak_mib"], 2)


def _slip_data(ring: KeyRing) -> IntakeSlipData:
    code = s10.make("HS", s10.next_issuable(12_345_678))
    return IntakeSlipData(
        tracking_code=code,
        slip_id=42,
        qr_text=slip_url(BASE_URL, sign_slip(ring, code, 42, NOW)),
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


def _labels(ring: KeyRing, count: int) -> list[LabelData]:
    labels = []
    for n in range(count):
        code = s10.make("HS", s10.next_issuable(20_000_000 + 10 * n))
        labels.append(LabelData(code, slip_url(BASE_URL, sign_slip(ring, code, 10_000 + n, NOW))))
    return labels


def _naive_a6_slip(data: IntakeSlipData) -> bytes:
    """The same two A6 pages the obvious way: a PIL QR per page, a line per string."""
    fonts = register_fonts()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(105 * MM, 148 * MM), invariant=True)
    lines = [
        f"Người gửi: {data.sender.name}",
        "Điện thoại: 09xx xxx 678",
        f"Thủ tục: {data.procedure_code} – {data.procedure_name}",
        f"Cơ quan giải quyết: {data.agency}",
        *(f"{d.name}: {d.originals} / {d.certified_copies} / {d.pages}" for d in data.documents),
        f"Lệ phí: {data.fee_vnd}  Cước phí: {data.postage_vnd}",
        f"Số niêm phong: {data.seal_number}",
        f"Nhận kết quả: {data.delivery_address}",
        f"Cán bộ tiếp nhận: {data.officer.name} – {data.officer.unit}",
    ]
    for title in ("PHIẾU TIẾP NHẬN HỒ SƠ", "PHIẾU HỒ SƠ"):
        image = qrcode.make(data.qr_text)
        canvas.drawImage(ImageReader(image.get_image()), 70 * MM, 113 * MM, 30 * MM, 30 * MM)
        canvas.setFont(fonts.bold, 10)
        canvas.drawString(5 * MM, 138 * MM, title)
        canvas.drawString(64 * MM, 108 * MM, data.tracking_code)
        canvas.setFont(fonts.regular, 6.5)
        for index, line in enumerate(lines):
            canvas.drawString(5 * MM, (100 - 3 * index) * MM, line)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _naive_labels(labels: list[LabelData]) -> bytes:
    """1,000 labels the obvious way: 3 x 8 per A4 sheet, a PIL QR per label."""
    fonts = register_fonts()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(210 * MM, 297 * MM), invariant=True)
    for index, label in enumerate(labels):
        position = index % 24
        if index and not position:
            canvas.showPage()
        x, y = (position % 3) * 70, 297 - 0.5 - (position // 3 + 1) * 37
        image = qrcode.make(label.qr_text)
        canvas.drawImage(
            ImageReader(image.get_image()), (x + 2) * MM, (y + 2) * MM, 33 * MM, 33 * MM
        )
        canvas.setFont(fonts.bold, 9)
        canvas.drawString((x + 37) * MM, (y + 18) * MM, label.tracking_code)
    canvas.save()
    return buffer.getvalue()


def _table(rows: list[dict[str, Any]]) -> str:
    header = f"{'benchmark':38} {'runs':>4} {'median':>10} {'peak MiB':>9} {'PDF KiB':>8}  vs naive"
    lines = [header, "-" * len(header)]
    for row in rows:
        versus = ""
        if "speedup" in row:
            goal = "meets" if row["meets_goal"] else "misses"
            versus = (
                f"{row['speedup']}x faster, {row['memory_ratio']}x memory; "
                f"{goal} goal {row['goal_ms']:g} ms"
            )
        lines.append(
            f"{row['name']:38} {row['runs']:>4} {row['median_ms']:>8.1f}ms "
            f"{row['peak_mib']:>9.2f} {row['pdf_kib']:>8.1f}  {versus}"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(_table(run()))
