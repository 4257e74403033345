"""The intake slip ("phiếu tiếp nhận hồ sơ"): the citizen's receipt and the
label of the sealed envelope, both carrying the signed QR."""

from __future__ import annotations

from collections.abc import Mapping

from postal_tracker.phones import mask_phone
from postal_tracker.slips.fonts import DEFAULT_FONTS, FontFiles
from postal_tracker.slips.layouts import Layout, LayoutError
from postal_tracker.slips.model import Delivery, DocumentLine, IntakeSlipData
from postal_tracker.slips.paper import Rendered
from postal_tracker.slips.parts import (
    Block,
    Column,
    Decorations,
    Field,
    Heading,
    PartContent,
    Table,
    render_parts,
)
from postal_tracker.slips.qr import make_qr
from postal_tracker.slips.strings import format_time, format_vnd, strings_for


def render_intake_slip(
    data: IntakeSlipData,
    layout: Layout,
    *,
    lang: str = "vi",
    copy: bool = False,
    fonts: FontFiles = DEFAULT_FONTS,
) -> Rendered:
    """The intake slip on ``layout``'s stock; ``copy`` marks a reprint as a copy.

    Raises ``LayoutError`` if the layout has no ``[intake]``, ``ValueError``
    for an unknown ``lang`` or an unreadable signature image.
    """
    if layout.intake is None:
        raise LayoutError(f"{layout.source}: has no [intake] section; choose another layout")
    s = strings_for(lang)
    signers = (("sender", data.sender), ("officer", data.officer))
    receipt = PartContent(
        layout=layout.intake.receipt,
        unit_line=data.officer.unit,
        title=s["receipt_title"],
        subtitle=s["receipt_subtitle"],
        blocks=_receipt_blocks(data, s, lang),
        signers=tuple((s[caption], party) for caption, party in signers),
    )
    envelope = PartContent(
        layout=layout.intake.envelope,
        unit_line=data.officer.unit,
        title=s["envelope_title"],
        subtitle=s["envelope_subtitle"],
        blocks=_envelope_blocks(data, s, lang),
        signers=receipt.signers,
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
        f"{s['receipt_title']} {data.tracking_code}",
        [receipt, envelope],
        make_qr(data.qr_text),
        data.tracking_code,
        decorations,
        cut_line=layout.intake.cut_line,
        fonts=fonts,
    )


def _receipt_blocks(data: IntakeSlipData, s: Mapping[str, str], lang: str) -> list[Block]:
    sender = f"{data.sender.name} {s['on_behalf']}" if data.on_behalf else data.sender.name
    if data.delivery is Delivery.HOME:
        delivery = s["delivery_home"].format(address=data.delivery_address)
    else:
        delivery = s["delivery_pickup"]
    return [
        Field(s["sender"], sender),
        Field(s["phone"], mask_phone(data.sender_phone_e164)),
        Field(s["procedure"], f"{data.procedure_code} – {data.procedure_name}"),
        Field(s["agency"], data.agency),
        Heading(s["documents"]),
        _inventory(data.documents, s),
        Field(s["fee"], format_vnd(data.fee_vnd, lang)),
        Field(s["postage"], format_vnd(data.postage_vnd, lang)),
        Field(s["amount_due"], format_vnd(data.fee_vnd + data.postage_vnd, lang)),
        Field(s["seal"], data.seal_number),
        Field(s["delivery"], delivery),
        Field(s["officer"], f"{data.officer.name} – {data.officer.unit}"),
        Field(s["time"], format_time(data.issued_at, lang)),
    ]


def _envelope_blocks(data: IntakeSlipData, s: Mapping[str, str], lang: str) -> list[Block]:
    # The envelope travels: no address and no full phone on it.
    delivery = s["delivery_home_short"] if data.delivery is Delivery.HOME else s["delivery_pickup"]
    return [
        Field(s["agency"], data.agency),
        Field(s["procedure"], f"{data.procedure_code} – {data.procedure_name}"),
        Field(s["sender"], data.sender.name),
        Field(s["phone"], mask_phone(data.sender_phone_e164)),
        Field(s["seal"], data.seal_number),
        Heading(s["documents"]),
        _inventory(data.documents, s),
        Field(s["delivery"], delivery),
        Field(s["accepted_at"], data.officer.unit),
        Field(s["time"], format_time(data.issued_at, lang)),
    ]


def _inventory(documents: tuple[DocumentLine, ...], s: Mapping[str, str]) -> Table:
    def total(attribute: str) -> str:
        return str(sum(getattr(d, attribute) for d in documents))

    return Table(
        columns=(
            Column(s["col_number"], 0.08, "center"),
            Column(s["col_document"], 0.40),
            Column(s["col_originals"], 0.13, "right"),
            Column(s["col_certified"], 0.13, "right"),
            Column(s["col_photocopies"], 0.13, "right"),
            Column(s["col_pages"], 0.13, "right"),
        ),
        rows=tuple(
            (
                str(n),
                d.name,
                str(d.originals),
                str(d.certified_copies),
                str(d.photocopies),
                str(d.pages),
            )
            for n, d in enumerate(documents, start=1)
        ),
        total=(
            "",
            s["total"],
            total("originals"),
            total("certified_copies"),
            total("photocopies"),
            total("pages"),
        ),
    )
