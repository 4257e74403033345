"""Issuing slips: sign the QR, draw the PDF, archive it by its SHA-256.

Services flush; the caller commits. The slip row is inserted first because its
id is signed into the QR code the PDF carries.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from threading import Lock
from typing import Any

from sqlalchemy.orm import Session
from sqlmodel import select

from postal_tracker.config import Settings
from postal_tracker.db import utcnow
from postal_tracker.slips.handover_slip import render_handover_slip
from postal_tracker.slips.intake_slip import render_intake_slip
from postal_tracker.slips.keys import METADATA_FILE, KeyRing
from postal_tracker.slips.layouts import Layout, load_layouts
from postal_tracker.slips.model import (
    Delivery,
    DocumentLine,
    HandoverItem,
    HandoverSlipData,
    IntakeSlipData,
    Party,
)
from postal_tracker.slips.models import IssuedSlip
from postal_tracker.slips.payload import SlipPayload
from postal_tracker.slips.token import sign_slip, slip_url

DEFAULT_LAYOUT = "a6-slip"


@dataclass(frozen=True)
class SlipIssuer:
    """Where keys live, what base URL the QR opens, which paper and language."""

    keys_dir: Path
    base_url: str
    layout: str = DEFAULT_LAYOUT
    lang: str = "vi"

    @classmethod
    def from_settings(cls, settings: Settings, *, lang: str = "vi") -> SlipIssuer:
        return cls(
            keys_dir=settings.instance_path / "keys",
            base_url=settings.base_url,
            layout=settings.slip_layout,
            lang=lang if lang in ("vi", "en") else "vi",
        )

    def keyring(self) -> KeyRing:
        return current_keyring(self.keys_dir)

    def page(self) -> Layout:
        layouts = _layouts()
        if self.layout not in layouts:
            raise ValueError(f"no slip layout {self.layout!r}; have {', '.join(sorted(layouts))}")
        return layouts[self.layout]


@lru_cache(maxsize=1)
def _layouts() -> dict[str, Layout]:
    return load_layouts()


_rings: dict[Path, tuple[float, KeyRing]] = {}
_rings_lock = Lock()


def current_keyring(directory: Path) -> KeyRing:
    """The key ring in ``directory``, re-read when another process rotated it."""
    with _rings_lock:
        meta = directory / METADATA_FILE
        stamp = meta.stat().st_mtime if meta.exists() else -1.0
        cached = _rings.get(directory)
        if cached is None or cached[0] != stamp:
            ring = KeyRing.load_or_create(directory, utcnow())
            _rings[directory] = (meta.stat().st_mtime, ring)
            return ring
        return cached[1]


def _archive(slip: IssuedSlip, pdf: bytes, payload: dict[str, Any]) -> IssuedSlip:
    slip.pdf = pdf
    slip.sha256 = hashlib.sha256(pdf).hexdigest()
    slip.payload = dict(payload)
    return slip


def render_slip(payload: SlipPayload, layout: Layout, lang: str, *, copy: bool = False) -> bytes:
    """The PDF of ``payload`` on ``layout``; ``copy`` marks it as a copy."""
    if isinstance(payload.data, IntakeSlipData):
        return render_intake_slip(payload.data, layout, lang=lang, copy=copy).pdf
    return render_handover_slip(payload.data, layout, lang=lang, copy=copy).pdf


def _signed_url(issuer: SlipIssuer, code: str, slip_id: int, issued_at: datetime) -> str:
    return slip_url(issuer.base_url, sign_slip(issuer.keyring(), code, slip_id, issued_at))


@dataclass(frozen=True)
class IntakeFacts:
    """What the intake slip shows, from the dossier as saved."""

    dossier_id: int
    tracking_code: str
    sender_name: str
    sender_phone_e164: str
    on_behalf: bool
    procedure_code: str
    procedure_name: str
    agency_name: str
    documents: tuple[DocumentLine, ...]
    fee_vnd: int
    postage_vnd: int
    seal_number: str
    home_delivery: bool
    delivery_address: str
    officer_name: str
    officer_unit: str
    issued_by_user_id: int
    sender_signature_png: bytes | None = None


def issue_intake_slip(session: Session, issuer: SlipIssuer, facts: IntakeFacts) -> IssuedSlip:
    slip = IssuedSlip(
        kind="intake",
        tracking_code=facts.tracking_code,
        dossier_id=facts.dossier_id,
        layout=issuer.layout,
        lang=issuer.lang,
        issued_by_user_id=facts.issued_by_user_id,
    )
    session.add(slip)
    session.flush()
    assert slip.id is not None
    issued_at = utcnow().replace(microsecond=0)
    data = IntakeSlipData(
        tracking_code=facts.tracking_code,
        slip_id=slip.id,
        qr_text=_signed_url(issuer, facts.tracking_code, slip.id, issued_at),
        issued_at=issued_at,
        sender=Party(facts.sender_name, "", facts.sender_signature_png),
        sender_phone_e164=facts.sender_phone_e164,
        procedure_code=facts.procedure_code,
        procedure_name=facts.procedure_name,
        agency=facts.agency_name,
        documents=facts.documents,
        fee_vnd=facts.fee_vnd,
        postage_vnd=facts.postage_vnd,
        seal_number=facts.seal_number,
        delivery=Delivery.HOME if facts.home_delivery else Delivery.PICKUP,
        delivery_address=facts.delivery_address if facts.home_delivery else "",
        officer=Party(facts.officer_name, facts.officer_unit),
        on_behalf=facts.on_behalf,
    )
    payload = SlipPayload(data)
    _archive(slip, render_slip(payload, issuer.page(), issuer.lang), payload.to_json())
    session.flush()
    return slip


def issue_handover_slip(
    session: Session,
    issuer: SlipIssuer,
    *,
    reference: str,
    giver: Party,
    receiver: Party,
    items: tuple[HandoverItem, ...],
    issued_by_user_id: int,
    dossier_id: int | None = None,
    note: str = "",
    signed_code: str | None = None,
) -> IssuedSlip:
    """A handover record ("biên bản bàn giao") for one item or a manifest.
    ``reference`` is printed on it: the item's S10 code, or the manifest's
    reference. The QR signs an S10 code: ``signed_code`` (a manifest's first
    item), or ``reference`` itself."""
    if not items:
        raise ValueError("a handover slip lists at least one item")
    code = signed_code or reference
    slip = IssuedSlip(
        kind="handover",
        tracking_code=code,
        dossier_id=dossier_id,
        layout=issuer.layout,
        lang=issuer.lang,
        issued_by_user_id=issued_by_user_id,
    )
    session.add(slip)
    session.flush()
    assert slip.id is not None
    issued_at = utcnow().replace(microsecond=0)
    data = HandoverSlipData(
        slip_id=slip.id,
        qr_text=_signed_url(issuer, code, slip.id, issued_at),
        reference=reference,
        issued_at=issued_at,
        giver=giver,
        receiver=receiver,
        items=items,
        note=note,
    )
    payload = SlipPayload(data)
    _archive(slip, render_slip(payload, issuer.page(), issuer.lang), payload.to_json())
    session.flush()
    return slip


def copy_of(session: Session, issuer: SlipIssuer, original: IssuedSlip) -> IssuedSlip:
    """The marked copy ("BẢN SAO") of ``original``: drawn once from the very
    data of the original, archived, and the same bytes ever after."""
    if original.copy_of_id is not None:
        return original
    existing = session.scalars(
        select(IssuedSlip).where(IssuedSlip.copy_of_id == original.id)
    ).first()
    if existing is not None:
        return existing
    pdf = render_slip(
        SlipPayload.from_json(original.payload, original.kind),
        _layouts()[original.layout],
        original.lang,
        copy=True,
    )
    copy = IssuedSlip(
        kind=original.kind,
        tracking_code=original.tracking_code,
        dossier_id=original.dossier_id,
        layout=original.layout,
        lang=original.lang,
        copy_of_id=original.id,
    )
    _archive(copy, pdf, original.payload)
    session.add(copy)
    session.flush()
    return copy


def intake_slip_of(session: Session, dossier_id: int) -> IssuedSlip | None:
    """The dossier's intake slip as first issued (not a reprinted copy)."""
    return session.scalars(
        select(IssuedSlip).where(
            IssuedSlip.dossier_id == dossier_id,
            IssuedSlip.kind == "intake",
            IssuedSlip.copy_of_id.is_(None),  # type: ignore[union-attr]
        )
    ).first()
