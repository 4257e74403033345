"""What happens on a delivery, each in the caller's transaction (services
flush): starting the day's run, proof of delivery, a failed attempt (and the
hold for pickup after too many), the citizen's choices, and the return of
unclaimed results to the agency.

Every input is checked before anything is written, so refused input leaves
no trace. Custody events go through the ledger with client ids derived from
the delivery row, so a retried form cannot record anything twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session
from sqlmodel import col, select

from postal_tracker import proof_images
from postal_tracker.auth.models import User
from postal_tracker.auth.roles import Role
from postal_tracker.auth.service import unit_ids_of
from postal_tracker.clock import VN_TZ
from postal_tracker.config import Settings
from postal_tracker.custody.actors import actor_for
from postal_tracker.custody.ledger import Answer, Scan, lock_item, record
from postal_tracker.custody.models import Alert, Item
from postal_tracker.custody.rules import EventKind, Phase
from postal_tracker.db import utcnow
from postal_tracker.delivery.links import citizen_url
from postal_tracker.delivery.models import (
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    FailureAction,
    FailureReason,
    Relation,
)
from postal_tracker.delivery.notices import REASON_TEXT, notify_citizen, vn_date, window_text
from postal_tracker.delivery.scheduling import (
    move_to_day,
    notify_scheduled,
    schedule_next_attempt,
)
from postal_tracker.errors import N_, NOT_FOUND, REQUIRED, DomainError, NotFound
from postal_tracker.intake.models import Dossier
from postal_tracker.units.models import Unit
from postal_tracker.workdays import add_working_days

MAX_NAME = 200
MAX_NOTE = 500


NOT_OUT = N_("This delivery is not on a run now; reload the run list.")
NOT_SCHEDULED = N_("This delivery can no longer be changed.")
TOO_LONG = N_("This is too long.")


def proof_folder(settings: Settings) -> Path:
    return Path(settings.instance_path) / "delivery_proofs"


def worker_delivery(
    session: Session, user: User, delivery_id: int, *, lock: bool = False
) -> Delivery:
    """The delivery if it is on ``user``'s run; else :class:`NotFound`."""
    query = select(Delivery).where(Delivery.id == delivery_id)
    if lock:
        query = query.with_for_update()
    delivery = session.scalars(query).first()
    if delivery is None or delivery.worker_user_id != user.id:
        raise NotFound(NOT_FOUND)
    return delivery


def _item(session: Session, delivery: Delivery) -> Item:
    item = session.get(Item, delivery.item_id)
    assert item is not None
    return lock_item(session, item.tracking_code)


def _dossier(session: Session, delivery: Delivery) -> Dossier:
    dossier = session.get(Dossier, delivery.dossier_id)
    assert dossier is not None
    return dossier


def _scan(item: Item, kind: EventKind, client_id: str, **kw: Any) -> Scan:
    return Scan(
        client_id=client_id,
        tracking_code=item.tracking_code,
        kind=kind,
        device_time=datetime.now(VN_TZ).replace(microsecond=0),
        **kw,
    )


def _recorded(answer: Answer) -> int:
    if answer.conflict:
        # Someone else moved the item: the ledger kept this scan as a conflict.
        raise DomainError(
            N_("This item changed hands meanwhile; nothing was recorded."),
            field="item",
            code="moved",
        )
    return answer.event_id


# -- the run ----------------------------------------------------------------


@dataclass
class RunStart:
    out: list[Delivery] = field(default_factory=list)  # home deliveries now out
    held: list[Delivery] = field(default_factory=list)  # pickups left at the post point
    not_in_hand: list[Delivery] = field(default_factory=list)  # not held by the worker yet


def start_run(session: Session, user: User, day: date, settings: Settings) -> RunStart:
    """Take the day's scheduled deliveries out: ``out_for_delivery`` for each
    home delivery, ``held_for_pickup`` for each pickup (left at the commune's
    post point on the way). Items the worker does not hold yet are skipped
    and listed."""
    rows = session.scalars(
        select(Delivery)
        .where(
            Delivery.worker_user_id == user.id,
            Delivery.scheduled_on == day,
            Delivery.status == DeliveryStatus.SCHEDULED,
        )
        .order_by(col(Delivery.id))
        .with_for_update()
    ).all()
    started = RunStart()
    actor = actor_for(session, user)
    for delivery in rows:
        item = _item(session, delivery)
        if item.custodian_user_id != user.id or item.phase is not Phase.RETURNING or item.disputed:
            started.not_in_hand.append(delivery)
            continue
        if delivery.kind is DeliveryKind.HOME:
            _recorded(
                record(
                    session,
                    actor,
                    _scan(
                        item,
                        EventKind.OUT_FOR_DELIVERY,
                        f"dlv-{delivery.id}-out",
                        data={"delivery_id": delivery.id},
                    ),
                )
            )
            delivery.status = DeliveryStatus.OUT
            started.out.append(delivery)
        else:
            _hold(session, user, delivery, item, day, settings)
            started.held.append(delivery)
    session.flush()
    return started


def _hold(
    session: Session, user: User, delivery: Delivery, item: Item, day: date, settings: Settings
) -> None:
    until = add_working_days(day, settings.holding_days)
    event_id = _recorded(
        record(
            session,
            actor_for(session, user),
            _scan(
                item,
                EventKind.HELD_FOR_PICKUP,
                f"dlv-{delivery.id}-held",
                data={
                    "delivery_id": delivery.id,
                    "post_point_id": delivery.post_point_id,
                    "until": until.isoformat(),
                },
            ),
        )
    )
    delivery.status = DeliveryStatus.HELD
    delivery.hold_until = until
    delivery.outcome_event_id = event_id
    notify_citizen(
        session,
        _dossier(session, delivery),
        "held_for_pickup",
        {
            "tracking_code": item.tracking_code,
            "place": _place_text(session, delivery),
            "until_date": until.isoformat(),
        },
        dedupe_key=f"delivery-{delivery.id}-held",
    )


def _place_text(session: Session, delivery: Delivery) -> str:
    """Where a held result waits: the post point, else the commune."""
    place = session.get(Unit, delivery.post_point_id or delivery.commune_id)
    if place is None:
        return "bưu điện xã"
    return f"{place.name}, {place.address}" if place.address else place.name


# -- proof of delivery ------------------------------------------------------


@dataclass(frozen=True)
class Proof:
    recipient_name: str
    relation: Relation
    authorisation_ref: str
    id_last_digits: str
    signature_data_url: str
    photo: bytes | None
    originals_returned: bool
    originals_note: str


def record_delivery(
    session: Session, user: User, delivery_id: int, proof: Proof, settings: Settings
) -> Delivery:
    """Hand the result over with proof; records ``delivered``."""
    delivery = worker_delivery(session, user, delivery_id, lock=True)
    if delivery.status not in (DeliveryStatus.OUT, DeliveryStatus.HELD):
        raise DomainError(NOT_OUT, field="delivery", code="not_out")
    dossier = _dossier(session, delivery)
    checked = _check_proof(proof, dossier)
    signature = proof_images.signature_png(proof.signature_data_url)
    photo = proof_images.photo_jpeg(proof.photo) if proof.photo else None
    folder = proof_folder(settings)
    # Files first: content-addressed, so an orphan left by a rollback is harmless.
    delivery.signature_sha256 = proof_images.store(folder, signature, ".png")
    delivery.photo_sha256 = proof_images.store(folder, photo, ".jpg") if photo else ""
    item = _item(session, delivery)
    data = {
        "delivery_id": delivery.id,
        "recipient_name": checked.recipient_name,
        "relation": str(checked.relation),
        "authorisation_ref": checked.authorisation_ref,
        "id_checked": bool(dossier.sender_id_number),
        "signature_sha256": delivery.signature_sha256,
        "photo_sha256": delivery.photo_sha256,
        "originals_returned": checked.originals_returned,
    }
    event_id = _recorded(
        record(
            session,
            actor_for(session, user),
            _scan(item, EventKind.DELIVERED, f"dlv-{delivery.id}-delivered", data=data),
        )
    )
    delivery.recipient_name = checked.recipient_name
    delivery.relation = checked.relation
    delivery.authorisation_ref = checked.authorisation_ref
    delivery.id_checked = bool(dossier.sender_id_number)
    delivery.originals_returned = checked.originals_returned
    delivery.originals_note = checked.originals_note
    delivery.status = DeliveryStatus.DELIVERED
    delivery.outcome_event_id = event_id
    delivery.closed_at = utcnow()
    session.flush()
    return delivery


def _check_proof(proof: Proof, dossier: Dossier) -> Proof:
    name = " ".join(proof.recipient_name.split())
    if not name:
        raise DomainError(REQUIRED, field="recipient_name", code="required")
    if len(name) > MAX_NAME:
        raise DomainError(TOO_LONG, field="recipient_name", code="too_long")
    ref = proof.authorisation_ref.strip()
    if proof.relation is Relation.AUTHORISED and not ref:
        raise DomainError(
            N_("Enter the number or date of the authorisation letter."),
            field="authorisation_ref",
            code="required",
        )
    if len(ref) > 100:
        raise DomainError(TOO_LONG, field="authorisation_ref", code="too_long")
    known = "".join(c for c in dossier.sender_id_number if c.isdigit())
    typed = "".join(c for c in proof.id_last_digits if c.isdigit())
    if known:
        if len(typed) != 4:
            raise DomainError(
                N_("Enter the last 4 digits of the recipient's ID number."),
                field="id_last_digits",
                code="required",
            )
        if known[-4:] != typed:
            raise DomainError(
                N_("These are not the last 4 digits of the ID number on the dossier."),
                field="id_last_digits",
                code="mismatch",
            )
    note = proof.originals_note.strip()
    if len(note) > MAX_NOTE:
        raise DomainError(TOO_LONG, field="originals_note", code="too_long")
    return Proof(
        name,
        proof.relation,
        ref if proof.relation is Relation.AUTHORISED else "",
        "",
        proof.signature_data_url,
        proof.photo,
        proof.originals_returned,
        note,
    )


# -- a failed attempt ---------------------------------------------------------


@dataclass(frozen=True)
class FailureOutcome:
    delivery: Delivery
    next_attempt: Delivery | None  # scheduled again
    held: Delivery | None  # too many failures: held for pickup


def record_failure(
    session: Session,
    user: User,
    delivery_id: int,
    reason: FailureReason,
    action: FailureAction,
    note: str,
    today: date,
    settings: Settings,
) -> FailureOutcome:
    """Record ``delivery_failed``; then the next attempt, or after
    ``delivery_max_attempts`` failures the hold for pickup."""
    delivery = worker_delivery(session, user, delivery_id, lock=True)
    if delivery.status is not DeliveryStatus.OUT or delivery.kind is not DeliveryKind.HOME:
        raise DomainError(NOT_OUT, field="delivery", code="not_out")
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise DomainError(TOO_LONG, field="note", code="too_long")
    if reason is FailureReason.OTHER and not note:
        raise DomainError(N_("Say what happened in the note."), field="note", code="required")
    item = _item(session, delivery)
    event_id = _recorded(
        record(
            session,
            actor_for(session, user),
            _scan(
                item,
                EventKind.DELIVERY_FAILED,
                f"dlv-{delivery.id}-failed",
                data={
                    "delivery_id": delivery.id,
                    "reason": str(reason),
                    "action": str(action),
                    "attempt": delivery.attempt,
                },
            ),
        )
    )
    delivery.status = DeliveryStatus.FAILED
    delivery.failure_reason = reason
    delivery.failure_action = action
    delivery.failure_note = note
    delivery.outcome_event_id = event_id
    delivery.closed_at = utcnow()
    session.flush()
    dossier = _dossier(session, delivery)
    if delivery.attempt < settings.delivery_max_attempts:
        following = schedule_next_attempt(session, delivery, item, today)
        if following is not None:
            assert following.id is not None
            notify_citizen(
                session,
                dossier,
                "delivery_failed",
                {
                    "tracking_code": item.tracking_code,
                    "reason": REASON_TEXT[reason],
                    "next_date": following.scheduled_on.isoformat(),
                    "window": window_text(following.window_start, following.window_end),
                    "link": citizen_url(settings.base_url, settings.secret_key, following.id),
                },
                dedupe_key=f"delivery-{delivery.id}-failed",
            )
            return FailureOutcome(delivery, following, None)
    held = Delivery(
        item_id=delivery.item_id,
        dossier_id=delivery.dossier_id,
        attempt=delivery.attempt,
        kind=DeliveryKind.PICKUP,
        status=DeliveryStatus.SCHEDULED,
        route_id=delivery.route_id,
        worker_user_id=delivery.worker_user_id,
        commune_id=delivery.commune_id,
        post_point_id=delivery.post_point_id,
        scheduled_on=today,
        window_start=delivery.window_start,
        window_end=delivery.window_end,
        replaces_id=delivery.id,
    )
    session.add(held)
    session.flush()
    _hold(session, user, held, item, today, settings)
    session.flush()
    return FailureOutcome(delivery, None, held)


# -- the citizen's choices ----------------------------------------------------


def citizen_confirm(session: Session, delivery: Delivery) -> None:
    if delivery.status is not DeliveryStatus.SCHEDULED:
        raise DomainError(NOT_SCHEDULED, field="delivery", code="not_scheduled")
    if delivery.citizen_confirmed_at is None:
        delivery.citizen_confirmed_at = utcnow()
        session.flush()


def citizen_move(
    session: Session,
    delivery: Delivery,
    day: date,
    today: date,
    settings: Settings,
    *,
    pickup: bool,
) -> Delivery:
    """Move a scheduled delivery to another route day, or turn it into a
    pickup (on the same day when it still has room). Raises
    :func:`planner.slot_refused` errors for a day that cannot take it."""
    if delivery.status is not DeliveryStatus.SCHEDULED:
        raise DomainError(NOT_SCHEDULED, field="delivery", code="not_scheduled")
    item = _item(session, delivery)
    replacement = move_to_day(session, delivery, item, day, today, pickup=pickup)
    notify_scheduled(session, _dossier(session, delivery), item, replacement, settings)
    return replacement


# -- return to the agency -----------------------------------------------------


def offer_overdue_holds(session: Session, today: date) -> int:
    """Offer back to the agency every result held past its holding period
    (the holder offers it; the agency's clerk confirms), with an alert."""
    rows = session.scalars(
        select(Delivery)
        .where(
            Delivery.status == DeliveryStatus.HELD,
            col(Delivery.hold_until) < today,
            col(Delivery.return_offer_event_id).is_(None),
        )
        .order_by(col(Delivery.id))
        .with_for_update()
    ).all()
    offered = 0
    for delivery in rows:
        item = _item(session, delivery)
        holder = session.get(User, item.custodian_user_id) if item.custodian_user_id else None
        if holder is None or item.phase is not Phase.HELD_FOR_PICKUP or item.disputed:
            continue
        dossier = _dossier(session, delivery)
        answer = record(
            session,
            actor_for(session, holder, item.custodian_unit_id),
            _scan(
                item,
                EventKind.HANDOVER_OFFERED,
                f"dlv-{delivery.id}-return-offer",
                receiver_unit_id=dossier.agency_id,
                receiver_is_agency=True,
                data={"delivery_id": delivery.id, "why": "holding_period_over"},
            ),
        )
        delivery.return_offer_event_id = _recorded(answer)
        session.add(
            Alert(
                kind="delivery_return",
                unit_id=dossier.agency_id,
                item_id=item.id,
                event_id=delivery.return_offer_event_id,
                message=(
                    f"{item.tracking_code} was not collected by "
                    f"{vn_date(delivery.hold_until or today)}; it is offered back to the agency."
                ),
                message_id=N_(
                    "%(code)s was not collected by %(day)s; it is offered back to the agency."
                ),
                params={"code": item.tracking_code, "day": vn_date(delivery.hold_until or today)},
            )
        )
        offered += 1
    session.flush()
    return offered


def returns_for(session: Session, clerk: User) -> list[tuple[Delivery, Item]]:
    """Results offered back to the clerk's agencies, waiting for confirmation."""
    agencies = unit_ids_of(session, clerk) if clerk.role is Role.AGENCY_CLERK else []
    rows = session.execute(
        select(Delivery, Item)
        .join(Item, col(Item.id) == Delivery.item_id)
        .join(Dossier, col(Dossier.id) == Delivery.dossier_id)
        .where(
            Delivery.status == DeliveryStatus.HELD,
            col(Delivery.return_offer_event_id).is_not(None),
            col(Dossier.agency_id).in_(agencies),
            col(Item.offer_event_id) == Delivery.return_offer_event_id,
        )
        .order_by(col(Delivery.hold_until), col(Delivery.id))
    ).all()
    return [(d, i) for d, i in rows]


def confirm_return(session: Session, clerk: User, delivery_id: int) -> Delivery:
    """The agency clerk takes the result back: ``returned_to_agency``."""
    found = [d for d, _ in returns_for(session, clerk) if d.id == delivery_id]
    if not found:
        raise NotFound(NOT_FOUND)
    delivery = found[0]
    item = _item(session, delivery)
    dossier = _dossier(session, delivery)
    event_id = _recorded(
        record(
            session,
            actor_for(session, clerk, dossier.agency_id),
            _scan(
                item,
                EventKind.RETURNED_TO_AGENCY,
                f"dlv-{delivery.id}-returned",
                follows=delivery.return_offer_event_id,
                data={"delivery_id": delivery.id},
            ),
        )
    )
    delivery.status = DeliveryStatus.RETURNED
    delivery.outcome_event_id = event_id
    delivery.closed_at = utcnow()
    agency = session.get(Unit, dossier.agency_id)
    notify_citizen(
        session,
        dossier,
        "returned_to_agency",
        {"tracking_code": item.tracking_code, "agency_name": agency.name if agency else ""},
        dedupe_key=f"delivery-{delivery.id}-returned",
    )
    session.flush()
    return delivery
