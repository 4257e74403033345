"""The manifest's handover slip ("biên bản bàn giao"): one record listing every
item of the bag, for both parties to sign.

It is issued once, when the bag is offered, in the same transaction as the
offer events, which record its id and SHA-256. Like every slip it is archived:
printing it again gives the same bytes, and a reprint is a marked copy. Its QR
is a signed slip token for the bag's first item, so a camera can check that
the paper is genuine; the bag itself is found by its printed reference.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy.orm import Session
from sqlmodel import col, select

from postal_tracker.auth.models import User
from postal_tracker.custody.models import Item
from postal_tracker.intake.models import Dossier, DossierDocument
from postal_tracker.manifests.models import Manifest, ManifestLine
from postal_tracker.slips.issuing import SlipIssuer, issue_handover_slip
from postal_tracker.slips.model import HandoverItem, Party
from postal_tracker.slips.models import IssuedSlip
from postal_tracker.units.models import Unit

LAYOUT = "a4-slip"


def issue_manifest_slip(
    session: Session,
    issuer: SlipIssuer,
    manifest: Manifest,
    pairs: Sequence[tuple[ManifestLine, Item]],
    user_id: int,
) -> IssuedSlip:
    """Issue and archive the slip of ``manifest`` (its receiver already set),
    listing ``pairs`` in order; the manifest keeps the slip's id."""
    if not pairs:
        raise ValueError("a manifest slip lists at least one item")
    slip = issue_handover_slip(
        session,
        replace(issuer, layout=LAYOUT),
        reference=manifest.reference,
        signed_code=pairs[0][1].tracking_code,
        giver=_party(session, manifest.giver_user_id, manifest.giver_unit_id),
        receiver=_party(session, manifest.receiver_user_id, manifest.receiver_unit_id),
        items=_handover_items(session, [item for _, item in pairs]),
        issued_by_user_id=user_id,
        note=manifest.note,
    )
    manifest.slip_id = slip.id
    return slip


def _handover_items(session: Session, items: Sequence[Item]) -> tuple[HandoverItem, ...]:
    dossier_ids = {item.dossier_id for item in items}
    dossiers = {
        d.id: d for d in session.scalars(select(Dossier).where(col(Dossier.id).in_(dossier_ids)))
    }
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for doc in session.scalars(
        select(DossierDocument).where(col(DossierDocument.dossier_id).in_(dossier_ids))
    ):
        counts[doc.dossier_id][0] += doc.originals + doc.certified_copies + doc.photocopies
        counts[doc.dossier_id][1] += doc.pages
    return tuple(
        HandoverItem(
            tracking_code=item.tracking_code,
            documents=counts[item.dossier_id][0],
            pages=counts[item.dossier_id][1],
            seal_number=dossiers[item.dossier_id].seal_number,
        )
        for item in items
    )


def _party(session: Session, user_id: int | None, unit_id: int | None) -> Party:
    person = session.get(User, user_id) if user_id is not None else None
    unit = session.get(Unit, unit_id) if unit_id is not None else None
    return Party(name=person.full_name if person else "", unit=unit.name if unit else "")
