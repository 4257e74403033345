"""The manifest's handover slip ("biên bản bàn giao"): one record listing every
item of the bag, for both parties to sign."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy.orm import Session
from sqlmodel import col, select

from postal_tracker.auth.models import User
from postal_tracker.intake.models import Dossier, DossierDocument
from postal_tracker.manifests.models import Manifest
from postal_tracker.manifests.service import listed_items
from postal_tracker.slips.handover_slip import render_handover_slip
from postal_tracker.slips.layouts import load_layouts
from postal_tracker.slips.model import HandoverItem, HandoverSlipData, Party
from postal_tracker.units.models import Unit

LAYOUT = "a4-slip"


def slip_data(session: Session, manifest: Manifest, base_url: str) -> HandoverSlipData:
    """What the slip says. Its QR opens the manifest's page (the reference
    only: no personal data), where the receiver scans the bag in."""
    pairs = listed_items(session, manifest)
    dossier_ids = {item.dossier_id for _, item in pairs}
    dossiers = {
        d.id: d for d in session.scalars(select(Dossier).where(col(Dossier.id).in_(dossier_ids)))
    }
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for doc in session.scalars(
        select(DossierDocument).where(col(DossierDocument.dossier_id).in_(dossier_ids))
    ):
        counts[doc.dossier_id][0] += doc.originals + doc.certified_copies + doc.photocopies
        counts[doc.dossier_id][1] += doc.pages
    items = tuple(
        HandoverItem(
            tracking_code=item.tracking_code,
            documents=counts[item.dossier_id][0],
            pages=counts[item.dossier_id][1],
            seal_number=dossiers[item.dossier_id].seal_number,
        )
        for _, item in pairs
    )
    assert manifest.id is not None and manifest.offered_at is not None
    return HandoverSlipData(
        slip_id=manifest.id,
        qr_text=f"{base_url.rstrip('/')}/manifests/{manifest.reference}",
        reference=manifest.reference,
        issued_at=manifest.offered_at,
        giver=_party(session, manifest.giver_user_id, manifest.giver_unit_id),
        receiver=_party(session, manifest.receiver_user_id, manifest.receiver_unit_id),
        items=items,
        note=manifest.note,
    )


def render_slip(session: Session, manifest: Manifest, base_url: str, lang: str) -> bytes:
    layout = load_layouts()[LAYOUT]
    return render_handover_slip(slip_data(session, manifest, base_url), layout, lang=lang).pdf


def _party(session: Session, user_id: int | None, unit_id: int | None) -> Party:
    person = session.get(User, user_id) if user_id is not None else None
    unit = session.get(Unit, unit_id) if unit_id is not None else None
    return Party(name=person.full_name if person else "", unit=unit.name if unit else "")
