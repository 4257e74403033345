"""What an agency clerk does, each in the caller's transaction (services flush):
confirm receipt with an appointment date, set a missing appointment, record
the result (a new result item), offer it to the post, and apologise for a
late result with a new date.

Everything is checked before anything is written, so refused input leaves
no trace; a stale receipt is the one exception: the ledger keeps it as a
conflict (the caller commits it despite the 409).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session
from sqlmodel import select

from postal_tracker.agency import notices
from postal_tracker.agency.apology_slip import ApologySlipData, render_apology_slip
from postal_tracker.agency.dates import (
    AppointmentRequest,
    check_promised_date,
    plan_due_date,
)
from postal_tracker.agency.models import AgencyResult, ApologySlip, Appointment, ResultKind
from postal_tracker.agency.queries import (
    agency_ids,
    appointments_of,
    clerk_dossier,
    current_appointment,
    dossier_item,
    result_of,
)
from postal_tracker.auth.models import User
from postal_tracker.auth.service import actor_for, unit_ids_of
from postal_tracker.custody.codes import allocate_tracking_code
from postal_tracker.custody.ledger import Answer, Scan, open_item, record
from postal_tracker.custody.models import CustodyEvent, Item, ItemKind
from postal_tracker.custody.rules import POSTAL_ROLES, EventKind, Phase
from postal_tracker.errors import N_, NOT_FOUND, REQUIRED, DomainError, NotFound
from postal_tracker.intake.models import Dossier
from postal_tracker.units.models import POSTAL_KINDS, Unit
from postal_tracker.workdays import local_date

MAX_REASON = 500


RESULT_EXISTS = N_("The result of this dossier was already recorded.")
NOT_POSTAL = N_("Choose a postal worker or post office from the list.")


@dataclass(frozen=True)
class Receipt:
    answer: Answer
    appointment: Appointment | None  # None when the scan was a conflict or a replay


def incoming_item(session: Session, user: User, item_id: int) -> Item:
    """A dossier item offered to one of ``user``'s agencies (or to them)."""
    item = session.get(Item, item_id)
    ids = agency_ids(session, user)
    if (
        item is None
        or not ids
        or item.kind is not ItemKind.DOSSIER
        or not item.offered_to_agency
        or not (item.offered_to_unit_id in ids or item.offered_to_user_id == user.id)
        # A dossier addressed to another agency is not received here by this page.
        or clerk_dossier(session, user, item.dossier_id) is None
    ):
        raise NotFound(NOT_FOUND)
    return item


def receive(
    session: Session,
    user: User,
    item_id: int,
    appointment: AppointmentRequest,
    *,
    follows: int,
    client_id: str,
    device_time: datetime,
) -> Receipt:
    """Confirm receipt of an offered dossier (``delivered_to_agency``, naming
    the offer ``follows``) and record its appointment date, counted from the
    day of receipt in Vietnam. Raises :class:`DomainError`, :class:`NotFound`
    or a ledger error before writing anything."""
    if client_id_used(session, client_id):
        # The same form sent again (a double tap, a retry): the ledger gives
        # back the first answer, or refuses a reused id; nothing more is written.
        item = session.get(Item, item_id)
        if item is None:
            raise NotFound(NOT_FOUND)
        scan = _receipt_scan(item, follows, client_id, device_time)
        return Receipt(record(session, actor_for(session, user), scan), None)
    item = incoming_item(session, user, item_id)
    received_on = local_date(device_time)
    due_on = plan_due_date(appointment, received_on, today=received_on)
    unit_id = item.offered_to_unit_id or agency_ids(session, user)[0]
    answer = record(
        session,
        actor_for(session, user, unit_id),
        _receipt_scan(item, follows, client_id, device_time),
    )
    if answer.status != 201 or answer.replayed:
        return Receipt(answer, None)
    dossier = session.get(Dossier, item.dossier_id)
    assert dossier is not None and user.id is not None
    row = Appointment(
        dossier_id=item.dossier_id,
        agency_id=dossier.agency_id,
        due_on=due_on,
        counted_from=received_on,
        working_days=appointment.working_days,
        set_by_user_id=user.id,
    )
    session.add(row)
    session.flush()
    return Receipt(answer, row)


def _receipt_scan(item: Item, follows: int, client_id: str, device_time: datetime) -> Scan:
    return Scan(
        client_id=client_id,
        tracking_code=item.tracking_code,
        kind=EventKind.DELIVERED_TO_AGENCY,
        device_time=device_time,
        follows=follows,
    )


def client_id_used(session: Session, client_id: str) -> bool:
    """Whether a custody event was already recorded under this form's id."""
    return (
        session.scalars(select(CustodyEvent.id).where(CustodyEvent.client_id == client_id)).first()
        is not None
    )


def held_dossier(session: Session, user: User, dossier_id: int) -> tuple[Dossier, Item]:
    """A dossier of the clerk's agency and its packet; NotFound otherwise."""
    dossier = clerk_dossier(session, user, dossier_id)
    item = dossier_item(session, dossier_id) if dossier else None
    if dossier is None or item is None:
        raise NotFound(NOT_FOUND)
    return dossier, item


def _at_agency(session: Session, user: User, item: Item) -> None:
    if item.phase is not Phase.AT_AGENCY or item.custodian_unit_id not in agency_ids(session, user):
        raise DomainError(
            N_("This dossier is not at your agency."), field="dossier", code="not_at_agency"
        )


def set_appointment(
    session: Session,
    user: User,
    dossier_id: int,
    appointment: AppointmentRequest,
    *,
    today: date,
) -> Appointment:
    """The first appointment of a dossier received without one (e.g. by a scan),
    counted from the day custody came to the agency. A later change of date
    needs an apology slip."""
    dossier, item = held_dossier(session, user, dossier_id)
    _at_agency(session, user, item)
    if current_appointment(session, dossier_id) is not None:
        raise DomainError(
            N_("This dossier already has an appointment date; a new date needs an apology slip."),
            field="dossier",
            code="appointment_exists",
        )
    received_on = local_date(item.custody_since) if item.custody_since else today
    due_on = plan_due_date(appointment, received_on, today=today)
    if due_on <= today:
        # Counting from a receipt long ago may land in the past: that needs an apology.
        raise DomainError(
            N_("Counted from the day of receipt, this date has passed; choose a later date."),
            field="working_days",
            code="not_future",
        )
    assert user.id is not None
    row = Appointment(
        dossier_id=dossier_id,
        agency_id=dossier.agency_id,
        due_on=due_on,
        counted_from=received_on,
        working_days=appointment.working_days,
        set_by_user_id=user.id,
    )
    session.add(row)
    session.flush()
    return row


@dataclass(frozen=True)
class ResultDetails:
    kind: ResultKind
    document_number: str
    signer: str
    signed_on: date


def record_result(
    session: Session,
    user: User,
    dossier_id: int,
    details: ResultDetails,
    *,
    client_id: str,
    device_time: datetime,
    tracking_prefix: str,
    tracking_country: str = "VN",
) -> tuple[AgencyResult, Item]:
    """The result of a dossier at the agency: a new result item, opened with
    ``result_ready`` in the clerk's custody, its details, and a notice to the
    citizen, all in the caller's transaction."""
    dossier, packet = held_dossier(session, user, dossier_id)
    _at_agency(session, user, packet)
    if result_of(session, dossier_id) is not None:
        raise DomainError(RESULT_EXISTS, field="dossier", code="result_exists")
    if details.signed_on > local_date(device_time):
        raise DomainError(
            N_("The date signed cannot be in the future."), field="signed_on", code="future"
        )
    number, signer = details.document_number.strip(), details.signer.strip()
    if not number:
        raise DomainError(REQUIRED, field="document_number", code="required")
    if not signer:
        raise DomainError(REQUIRED, field="signer", code="required")
    item = Item(
        tracking_code=allocate_tracking_code(session, tracking_prefix, tracking_country),
        dossier_id=dossier_id,
        kind=ItemKind.RESULT,
    )
    session.add(item)
    session.flush()
    open_item(
        session,
        actor_for(session, user, packet.custodian_unit_id),
        item,
        kind=EventKind.RESULT_READY,
        client_id=client_id,
        device_time=device_time,
        data={"result_kind": str(details.kind), "document_number": number},
    )
    assert item.id is not None and user.id is not None
    result = AgencyResult(
        dossier_id=dossier_id,
        item_id=item.id,
        kind=details.kind,
        document_number=number,
        signer=signer,
        signed_on=details.signed_on,
        recorded_by_user_id=user.id,
    )
    session.add(result)
    session.flush()
    notices.notify_citizen(
        session,
        dossier,
        "result_ready",
        {"tracking_code": item.tracking_code, "procedure_name": dossier.procedure_name},
        dedupe_key=f"result_ready:{item.id}",
    )
    return result, item


def result_item(session: Session, user: User, item_id: int) -> Item:
    """A result item the clerk's agency holds, not yet collected."""
    item = session.get(Item, item_id)
    if (
        item is None
        or item.kind is not ItemKind.RESULT
        or item.phase is not Phase.RESULT_READY
        or item.custodian_unit_id not in agency_ids(session, user)
    ):
        raise NotFound(NOT_FOUND)
    return item


@dataclass(frozen=True)
class Receiver:
    """A postal worker (with the office they work for) or a postal office."""

    user_id: int | None
    unit_id: int | None


def postal_receiver(session: Session, receiver: Receiver) -> Receiver:
    """``receiver`` checked: an active postal worker or clerk, or a postal office."""
    if receiver.user_id is not None:
        person = session.get(User, receiver.user_id)
        if person is None or not person.active or person.role not in POSTAL_ROLES:
            raise DomainError(NOT_POSTAL, field="receiver", code="not_postal")
        units = unit_ids_of(session, person)
        return Receiver(person.id, units[0] if units else None)
    unit = session.get(Unit, receiver.unit_id) if receiver.unit_id else None
    if unit is None or not unit.active or unit.kind not in POSTAL_KINDS:
        raise DomainError(NOT_POSTAL, field="receiver", code="not_postal")
    return Receiver(None, unit.id)


def offer_result(
    session: Session,
    user: User,
    item_id: int,
    receiver: Receiver,
    *,
    follows: int | None,
    client_id: str,
    device_time: datetime,
) -> Answer:
    """Offer a result to the post (``handover_offered``); the postal worker
    confirms with ``result_collected`` by scanning."""
    item = result_item(session, user, item_id)
    checked = postal_receiver(session, receiver)
    return record(
        session,
        actor_for(session, user, item.custodian_unit_id),
        Scan(
            client_id=client_id,
            tracking_code=item.tracking_code,
            kind=EventKind.HANDOVER_OFFERED,
            device_time=device_time,
            follows=follows,
            receiver_user_id=checked.user_id,
            receiver_unit_id=checked.unit_id,
        ),
    )


def issue_apology(
    session: Session,
    user: User,
    dossier_id: int,
    *,
    reason: str,
    new_date: date,
    today: date,
) -> ApologySlip:
    """An apology slip for a result that is (or will be) late: a new
    appointment naming the one it replaces, the slip, its PDF's hash, and a
    notice to the citizen."""
    dossier, item = held_dossier(session, user, dossier_id)
    _at_agency(session, user, item)
    if result_of(session, dossier_id) is not None:
        raise DomainError(RESULT_EXISTS, field="dossier", code="result_exists")
    previous = current_appointment(session, dossier_id)
    if previous is None or previous.id is None:
        raise DomainError(
            N_("Set the appointment date first."), field="dossier", code="no_appointment"
        )
    reason = reason.strip()
    if not reason:
        raise DomainError(REQUIRED, field="reason", code="required")
    if len(reason) > MAX_REASON:
        raise DomainError(
            N_("Use at most %(max)d characters."), field="reason", code="too_long", max=MAX_REASON
        )
    check_promised_date("new_date", new_date, today, after=previous.due_on)
    assert user.id is not None
    appointment = Appointment(
        dossier_id=dossier_id,
        agency_id=dossier.agency_id,
        due_on=new_date,
        counted_from=today,
        replaces_id=previous.id,
        set_by_user_id=user.id,
    )
    session.add(appointment)
    session.flush()
    assert appointment.id is not None
    slip = ApologySlip(
        dossier_id=dossier_id,
        agency_id=dossier.agency_id,
        appointment_id=appointment.id,
        previous_appointment_id=previous.id,
        reason=reason,
        issued_by_user_id=user.id,
    )
    session.add(slip)
    session.flush()
    pdf = render_apology_slip(slip_data(session, slip))
    slip.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
    session.flush()
    notices.notify_citizen(
        session,
        dossier,
        "apology",
        {
            "tracking_code": item.tracking_code,
            "procedure_name": dossier.procedure_name,
            "reason": reason,
            "old_date": previous.due_on.isoformat(),
            "new_date": new_date.isoformat(),
        },
        dedupe_key=f"apology:{slip.id}",
    )
    return slip


def slip_data(session: Session, slip: ApologySlip) -> ApologySlipData:
    """Everything the apology slip prints, read from its rows."""
    dossier = session.get(Dossier, slip.dossier_id)
    agency = session.get(Unit, slip.agency_id)
    new = session.get(Appointment, slip.appointment_id)
    old = session.get(Appointment, slip.previous_appointment_id)
    clerk = session.get(User, slip.issued_by_user_id)
    item = dossier_item(session, slip.dossier_id)
    assert dossier and agency and new and old and clerk and item and slip.id is not None
    return ApologySlipData(
        slip_id=slip.id,
        agency_name=agency.name,
        agency_address=agency.address,
        procedure=f"{dossier.procedure_code} — {dossier.procedure_name}",
        tracking_code=item.tracking_code,
        citizen_name=dossier.sender_name,
        # The first appointment was counted from the day of receipt.
        received_on=appointments_of(session, slip.dossier_id)[0].counted_from,
        old_date=old.due_on,
        new_date=new.due_on,
        reason=slip.reason,
        clerk_name=clerk.full_name,
        issued_on=local_date(slip.issued_at),
    )


def apology_slip_for(session: Session, user: User, slip_id: int) -> ApologySlip:
    """The slip if it belongs to one of the clerk's agencies' dossiers."""
    slip = session.get(ApologySlip, slip_id)
    if slip is None or clerk_dossier(session, user, slip.dossier_id) is None:
        raise NotFound(NOT_FOUND)
    return slip
