"""Taking a dossier in: the dossier, its item, custody and the ``accepted``
event, in one transaction (the caller commits)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import col, select

from postal_tracker.auth.models import User
from postal_tracker.auth.roles import Role
from postal_tracker.clock import VN_TZ
from postal_tracker.custody import ledger
from postal_tracker.custody.codes import allocate_tracking_code
from postal_tracker.custody.ledger import Scan
from postal_tracker.custody.models import CustodyEvent, Item, ItemKind
from postal_tracker.custody.rules import Actor, EventKind
from postal_tracker.db import utcnow
from postal_tracker.errors import N_, DomainError
from postal_tracker.intake.models import (
    SEAL_PER_UNIT,
    DeliveryPreference,
    Dossier,
    DossierDocument,
)
from postal_tracker.phones import InvalidPhone, parse_vn_phone
from postal_tracker.slips.issuing import IntakeFacts, SlipIssuer, issue_intake_slip
from postal_tracker.slips.model import DocumentLine as SlipDocument
from postal_tracker.slips.pool import claim_reserved_code, mark_code_used
from postal_tracker.units.kinds import UnitKind
from postal_tracker.units.models import Unit

# Who may take in a dossier.
INTAKE_ROLES = frozenset({Role.COMMUNE_OFFICER, Role.POSTAL_WORKER})


@dataclass(frozen=True)
class DocumentLine:
    name: str
    originals: int
    certified_copies: int
    photocopies: int
    pages: int


@dataclass(frozen=True)
class IntakeRecord:
    sender_name: str
    sender_phone: str  # E.164
    sender_address: str
    sender_id_number: str
    authorised: bool
    principal_name: str
    procedure_code: str
    procedure_name: str
    procedure_field: str
    agency_id: int
    documents: tuple[DocumentLine, ...]
    fee_vnd: int
    postage_vnd: int
    seal_number: str
    delivery_preference: DeliveryPreference
    delivery_address: str
    note: str
    intake_unit_id: int
    label_code: str = ""  # a pre-printed label's tracking code, if one was scanned
    sender_signature_png: bytes | None = None  # drawn on screen, checked by the form


def take_in(
    session: Session,
    actor: Actor,
    record: IntakeRecord,
    *,
    client_id: str,
    device_time: datetime,
    tracking_prefix: str,
    tracking_country: str = "VN",
    issuer: SlipIssuer | None = None,
) -> tuple[Dossier, Item]:
    """Save the dossier, its item and the ``accepted`` event; with an
    ``issuer``, also the signed intake slip, whose hash the event records."""
    agency = session.get(Unit, record.agency_id)
    if agency is None or agency.kind is not UnitKind.AGENCY or not agency.active:
        raise DomainError(N_("Choose an agency from the list."), field="agency_id")
    if record.intake_unit_id not in actor.unit_ids:
        raise DomainError(N_("Choose one of your offices."), field="intake_unit_id")
    if not record.documents:
        raise DomainError(N_("List at least one document."), field="documents")
    try:
        # Stored in E.164 whoever calls, so that a search finds it however typed.
        phone = parse_vn_phone(record.sender_phone)
    except InvalidPhone as exc:
        raise DomainError(exc.message, field="sender_phone", code=exc.code) from None
    dossier = Dossier(
        sender_name=record.sender_name.strip(),
        sender_phone=phone,
        sender_address=record.sender_address.strip(),
        sender_id_number=record.sender_id_number,
        authorised=record.authorised,
        principal_name=record.principal_name.strip() if record.authorised else "",
        procedure_code=record.procedure_code,
        procedure_name=record.procedure_name.strip(),
        procedure_field=record.procedure_field.strip(),
        agency_id=_id(agency),
        fee_vnd=record.fee_vnd,
        postage_vnd=record.postage_vnd,
        seal_number=record.seal_number,
        delivery_preference=record.delivery_preference,
        delivery_address=(record.delivery_address.strip() or record.sender_address.strip())
        if record.delivery_preference is DeliveryPreference.HOME
        else "",
        note=record.note.strip(),
        intake_unit_id=record.intake_unit_id,
        intake_user_id=actor.user_id,
    )
    try:
        with session.begin_nested():
            session.add(dossier)
    except IntegrityError as exc:
        if SEAL_PER_UNIT not in str(exc.orig) and "seal_number" not in str(exc.orig):
            raise
        raise DomainError(
            N_("This seal number is already used at this office; check the seal."),
            field="seal_number",
            code="seal_taken",
        ) from None
    for position, line in enumerate(record.documents, start=1):
        session.add(
            DossierDocument(
                dossier_id=_id(dossier),
                position=position,
                name=line.name.strip(),
                originals=line.originals,
                certified_copies=line.certified_copies,
                photocopies=line.photocopies,
                pages=line.pages,
            )
        )
    if record.label_code:
        # A pre-printed label scanned at intake: its code must be one we reserved.
        code = claim_reserved_code(session, record.label_code)
        if code is None:
            raise DomainError(
                N_("This label is not one of ours, or it is already used."), field="label_code"
            )
    else:
        code = allocate_tracking_code(session, tracking_prefix, tracking_country)
    item = Item(tracking_code=code, dossier_id=_id(dossier), kind=ItemKind.DOSSIER)
    session.add(item)
    session.flush()
    if record.label_code:
        mark_code_used(session, code, item)
    data: dict[str, object] = {
        "seal_number": dossier.seal_number,
        "documents": len(record.documents),
    }
    if issuer is not None:
        slip = issue_intake_slip(
            session, issuer, _slip_facts(session, actor, dossier, item, record, agency)
        )
        data.update(slip_id=slip.id, slip_sha256=slip.sha256)
    acting = Actor(actor.user_id, actor.role, actor.unit_ids, record.intake_unit_id)
    ledger.record(
        session,
        acting,
        Scan(client_id, item.tracking_code, EventKind.ACCEPTED, device_time, data=data),
    )
    return dossier, item


def _slip_facts(
    session: Session, actor: Actor, dossier: Dossier, item: Item, record: IntakeRecord, agency: Unit
) -> IntakeFacts:
    officer = session.get(User, actor.user_id)
    office = session.get(Unit, record.intake_unit_id)
    return IntakeFacts(
        dossier_id=_id(dossier),
        tracking_code=item.tracking_code,
        sender_name=dossier.sender_name,
        sender_phone_e164=dossier.sender_phone,
        on_behalf=dossier.authorised,
        procedure_code=dossier.procedure_code,
        procedure_name=dossier.procedure_name,
        agency_name=agency.name,
        documents=tuple(
            SlipDocument(d.name.strip(), d.originals, d.certified_copies, d.photocopies, d.pages)
            for d in record.documents
        ),
        fee_vnd=dossier.fee_vnd,
        postage_vnd=dossier.postage_vnd,
        seal_number=dossier.seal_number,
        home_delivery=dossier.delivery_preference is DeliveryPreference.HOME,
        delivery_address=dossier.delivery_address,
        officer_name=officer.full_name if officer else "",
        officer_unit=office.name if office else "",
        issued_by_user_id=actor.user_id,
        sender_signature_png=record.sender_signature_png,
    )


def _id(row: Unit | Dossier) -> int:
    assert row.id is not None, "flushed rows have ids"
    return row.id


# How long a dossier taken in for the same phone, procedure and agency at the
# same unit makes a new one look like the same dossier saved twice.
TWIN_WINDOW = timedelta(hours=1)


def recent_twin(session: Session, record: IntakeRecord) -> DomainError | None:
    """The warning for a dossier that looks like one taken in at the same unit
    within the last hour (same phone, procedure and agency), or None. The
    officer confirms (``Save anyway``) to save it all the same."""
    try:
        phone = parse_vn_phone(record.sender_phone)
    except InvalidPhone:
        return None  # take_in names the field
    row = session.execute(
        select(Item.tracking_code, Dossier.created_at)
        .join(Item, col(Item.dossier_id) == Dossier.id)
        .where(
            Dossier.intake_unit_id == record.intake_unit_id,
            Dossier.sender_phone == phone,
            Dossier.procedure_code == record.procedure_code,
            Dossier.agency_id == record.agency_id,
            col(Dossier.cancelled_at).is_(None),
            col(Dossier.created_at) >= utcnow() - TWIN_WINDOW,
            Item.kind == ItemKind.DOSSIER,
        )
        .order_by(col(Dossier.created_at).desc())
    ).first()
    if row is None:
        return None
    code, created_at = row
    return DomainError(
        N_(
            "Dossier %(tracking_code)s was taken in here at %(time)s for the same phone number, "
            "procedure and agency. If this is another dossier, tick \u201cSave anyway\u201d."
        ),
        field="save_anyway",
        code="possible_duplicate",
        tracking_code=code,
        time=created_at.astimezone(VN_TZ).strftime("%H:%M %d/%m/%Y"),
    )


@dataclass(frozen=True)
class EarlierUse:
    """A client id that was used before: by this very intake form sent again
    (``same_intake``), or by some other write (a reused id, refused)."""

    dossier_id: int
    same_intake: bool


def earlier_use(session: Session, client_id: str, user_id: int) -> EarlierUse | None:
    """What was already saved under this form's client id, if anything."""
    row = session.execute(
        select(Item.dossier_id, CustodyEvent.kind, CustodyEvent.actor_user_id)
        .join(CustodyEvent, col(CustodyEvent.item_id) == Item.id)
        .where(CustodyEvent.client_id == client_id)
    ).first()
    if row is None:
        return None
    dossier_id, kind, actor_user_id = row
    same = EventKind(kind) is EventKind.ACCEPTED and actor_user_id == user_id
    return EarlierUse(dossier_id=dossier_id, same_intake=same)
