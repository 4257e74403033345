"""The handover record ("biên bản bàn giao") of one item or a manifest."""

from __future__ import annotations

from collections.abc import Mapping

from postal_tracker.slips.fonts import DEFAULT_FONTS, FontFiles
from postal_tracker.slips.layouts import Layout, LayoutError
from postal_tracker.slips.model import HandoverSlipData
from postal_tracker.slips.paper import Rendered
from postal_tracker.slips.parts import (
    Block,
    Column,
    Decorations,
    Field,
    PartContent,
    Table,
    render_parts,
)
from postal_tracker.slips.qr import make_qr
from postal_tracker.slips.strings import display_code, format_time, strings_for


def render_handover_slip(
    data: HandoverSlipData,
    layout: Layout,
    *,
    lang: str = "vi",
    copy: bool = False,
    fonts: FontFiles = DEFAULT_FONTS,
) -> Rendered:
    """The handover record on ``layout``'s stock, continued over as many pages
    as the item table needs. Raises like ``render_intake_slip``."""
    if layout.handover is None:
        raise LayoutError(f"{layout.source}: has no [handover] section; choose another layout")
    s = strings_for(lang)
    count = len(data.items)
    subtitle = (
        s["handover_subtitle_one"]
        if count == 1
        else s["handover_subtitle_many"].format(count=count)
    )
    part = PartContent(
        layout=layout.handover,
        unit_line=data.giver.unit,
        title=s["handover_title"],
        subtitle=subtitle,
        blocks=_blocks(data, s, lang),
        signers=((s["giver"], data.giver), (s["receiver"], data.receiver)),
    )
    decorations = Decorations(
        footer=" · ".join(
            (
                s["slip_number"].format(slip_id=data.slip_id),
                format_time(data.issued_at, lang),
                s["verify_hint"],
            )
        ),
        page_format=s["page"],
        continued=s["continued"],
        sign_hint=s["sign_hint"],
        copy_mark=s["copy_mark"] if copy else None,
    )
    return render_parts(
        layout,
        f"{s['handover_title']} {data.reference}",
        [part],
        make_qr(data.qr_text),
        data.reference,
        decorations,
        fonts=fonts,
    )


def _blocks(data: HandoverSlipData, s: Mapping[str, str], lang: str) -> list[Block]:
    items = data.items
    blocks: list[Block] = [
        Field(s["giver"], f"{data.giver.name} – {data.giver.unit}"),
        Field(s["receiver"], f"{data.receiver.name} – {data.receiver.unit}"),
        Field(s["time"], format_time(data.issued_at, lang)),
        Field(s["item_count"], str(len(items))),
        Table(
            columns=(
                Column(s["col_number"], 0.08, "center"),
                Column(s["col_tracking"], 0.34),
                Column(s["col_documents"], 0.15, "right"),
                Column(s["col_pages"], 0.13, "right"),
                Column(s["col_seal"], 0.30),
            ),
            rows=tuple(
                (
                    str(n),
                    display_code(i.tracking_code),
                    str(i.documents),
                    str(i.pages),
                    i.seal_number,
                )
                for n, i in enumerate(items, start=1)
            ),
            total=(
                "",
                s["total"],
                str(sum(i.documents for i in items)),
                str(sum(i.pages for i in items)),
                "",
            ),
        ),
    ]
    if data.note:
        blocks.append(Field(s["note"], data.note))
    return blocks
