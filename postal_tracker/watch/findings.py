"""What the watchdogs find, read from the database: each function returns the
findings true now; :mod:`alerts` turns them into alerts once each."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func
from sqlalchemy.orm import Session
from sqlmodel import col, select

from postal_tracker.agency.models import AgencyResult, Appointment
from postal_tracker.auth.models import User
from postal_tracker.auth.roles import Role
from postal_tracker.clock import VN_TZ
from postal_tracker.config import DEFAULT_LIMITS, PERSON, Limits
from postal_tracker.custody.models import CustodyEvent, Item
from postal_tracker.custody.rules import TERMINAL, Phase
from postal_tracker.delivery.models import OPEN_STATUSES, Delivery
from postal_tracker.errors import N_
from postal_tracker.intake.models import Dossier
from postal_tracker.units.models import Unit
from postal_tracker.watch import rules
from postal_tracker.watch.rules import Finding
from postal_tracker.workdays import local_date

STALLED = "custody_stalled"
OFFER_UNCONFIRMED = "offer_unconfirmed"
PAST_APPOINTMENT = "past_appointment"
NOT_IN_OFFICE = "not_in_office"
# Findings that clear themselves when the condition clears; the end-of-day
# reconciliation is a record of that evening and stays until resolved.
SELF_CLEARING = (STALLED, OFFER_UNCONFIRMED, PAST_APPOINTMENT)
# Phases in which an item's leg is watched by another rule (agency: the
# appointment; held for pickup: delivery's holding period) or not at all.
UNWATCHED_PHASES = frozenset(TERMINAL | {Phase.NEW, Phase.HELD_FOR_PICKUP})


def _moving_items(session: Session, held_before: datetime) -> list[Item]:
    return list(
        session.scalars(
            select(Item)
            .where(
                col(Item.custody_since) < held_before,
                col(Item.phase).not_in(UNWATCHED_PHASES),
                col(Item.disputed).is_(False),  # a dispute already alerted a supervisor
                col(Item.custodian_is_citizen).is_(False),
            )
            .order_by(col(Item.id))
        )
    )


def _intake_units(session: Session, dossier_ids: set[int]) -> dict[int, int]:
    if not dossier_ids:
        return {}
    rows = session.execute(
        select(Dossier.id, Dossier.intake_unit_id).where(col(Dossier.id).in_(dossier_ids))
    )
    return {d: u for d, u in rows if d is not None}


def _region_unit(item: Item, intake_units: dict[int, int]) -> int | None:
    return item.custodian_unit_id or intake_units.get(item.dossier_id)


def stalled_custody(
    session: Session, today: date, limits: Limits = DEFAULT_LIMITS
) -> list[Finding]:
    """Items whose custody has stood still longer than their leg allows."""
    # Every leg allows at least one whole day after the day custody began:
    # only items held since before yesterday can be late (the index does the rest).
    yesterday = datetime.combine(today - timedelta(days=1), time(0), tzinfo=VN_TZ)
    items = [i for i in _moving_items(session, yesterday) if i.custody_since is not None]
    kinds = {u.id: u.kind for u in session.scalars(select(Unit))}
    waiting = dict(
        session.execute(
            select(Delivery.item_id, func.max(Delivery.scheduled_on))
            .where(col(Delivery.status).in_(OPEN_STATUSES))
            .group_by(col(Delivery.item_id))
        ).all()
    )
    intake_units = _intake_units(session, {i.dossier_id for i in items})
    found = []
    for item in items:
        assert item.custody_since is not None
        holder = (
            PERSON
            if item.custodian_user_id is not None
            else str(kinds.get(item.custodian_unit_id or 0, ""))
        )
        since = local_date(item.custody_since)
        if not rules.stalled(holder, since, today, waiting.get(item.id or 0), limits):
            continue
        found.append(
            Finding(
                # The same item stalled again after it moved is a new finding.
                key=f"{STALLED}:{item.id}:{item.custody_since.astimezone(UTC):%Y%m%dT%H%M%S.%f}",
                kind=STALLED,
                unit_id=_region_unit(item, intake_units),
                item_id=item.id,
                message_id=N_("%(code)s has not moved since %(since)s."),
                params={"code": item.tracking_code, "since": f"{since:%d/%m/%Y}"},
            )
        )
    return found


def unconfirmed_offers(
    session: Session, now: datetime, limits: Limits = DEFAULT_LIMITS
) -> list[Finding]:
    """Handovers offered longer ago than the limit (two hours) and not confirmed."""
    rows = session.execute(
        select(Item, CustodyEvent.server_time)
        .join(CustodyEvent, col(CustodyEvent.id) == col(Item.offer_event_id))
        .where(
            col(Item.offer_event_id).is_not(None),
            col(Item.phase).not_in(TERMINAL),
            col(CustodyEvent.server_time) < now - limits.offer_limit,
        )
        .order_by(col(Item.id))
    ).all()
    intake_units = _intake_units(session, {item.dossier_id for item, _ in rows})
    return [
        Finding(
            key=f"{OFFER_UNCONFIRMED}:{item.offer_event_id}",
            kind=OFFER_UNCONFIRMED,
            unit_id=_region_unit(item, intake_units),
            item_id=item.id,
            message_id=N_("%(code)s: handover offered at %(at)s is not confirmed."),
            params={
                "code": item.tracking_code,
                "at": f"{offered_at.astimezone(VN_TZ):%d/%m/%Y %H:%M}",
            },
        )
        for item, offered_at in rows
        if rules.offer_overdue(offered_at, now, limits)
    ]


def past_appointments(session: Session, today: date) -> list[Finding]:
    """Dossiers past their (current) appointment date with no result recorded."""
    newest = (
        select(func.max(Appointment.id)).group_by(col(Appointment.dossier_id)).scalar_subquery()
    )
    has_result = select(AgencyResult.id).where(AgencyResult.dossier_id == Appointment.dossier_id)
    rows = session.execute(
        select(Appointment, Dossier)
        .join(Dossier, col(Dossier.id) == col(Appointment.dossier_id))
        .where(
            col(Appointment.id).in_(newest),
            col(Appointment.due_on) < today,
            col(Dossier.cancelled_at).is_(None),
            ~has_result.exists(),
        )
        .order_by(col(Appointment.id))
    ).all()
    found = []
    for appointment, dossier in rows:
        if not rules.past_appointment(appointment.due_on, today):
            continue
        item = session.scalars(
            select(Item).where(Item.dossier_id == dossier.id).order_by(col(Item.id))
        ).first()
        found.append(
            Finding(
                # A new appointment (after an apology) is a new finding if it slips too.
                key=f"{PAST_APPOINTMENT}:{appointment.id}",
                kind=PAST_APPOINTMENT,
                unit_id=appointment.agency_id,
                item_id=item.id if item else None,
                message_id=(
                    N_("%(code)s: appointment %(due)s passed with no result.")
                    if item
                    else N_("Dossier %(code)s: appointment %(due)s passed with no result.")
                ),
                params={
                    "code": item.tracking_code if item else str(dossier.id),
                    "due": f"{appointment.due_on:%d/%m/%Y}",
                },
            )
        )
    return found


def not_in_office(session: Session, today: date) -> list[Finding]:
    """End of day: each postal worker still holding items in person, one
    finding per worker and day (their bag must be back in an office)."""
    rows = session.execute(
        select(Item, User)
        .join(User, col(User.id) == col(Item.custodian_user_id))
        .where(User.role == Role.POSTAL_WORKER, col(Item.phase).not_in(TERMINAL))
        .order_by(col(User.id), col(Item.id))
    ).all()
    by_worker: dict[int, tuple[User, list[Item]]] = {}
    for item, worker in rows:
        assert worker.id is not None
        by_worker.setdefault(worker.id, (worker, []))[1].append(item)
    found = []
    for worker_id, (worker, items) in by_worker.items():
        codes = ", ".join(i.tracking_code for i in items[:20])
        found.append(
            Finding(
                key=f"{NOT_IN_OFFICE}:{worker_id}:{today.isoformat()}",
                kind=NOT_IN_OFFICE,
                unit_id=items[0].custodian_unit_id,
                item_id=items[0].id if len(items) == 1 else None,
                message_id=(
                    N_("%(user)s still holds %(count)s item(s) at the end of %(day)s: %(codes)s.")
                    if len(items) <= 20
                    else N_(
                        "%(user)s still holds %(count)s item(s) at the end of %(day)s: "
                        "%(codes)s and %(more)s more."
                    )
                ),
                params={
                    "user": worker.username,
                    "count": str(len(items)),
                    "day": f"{today:%d/%m/%Y}",
                    "codes": codes,
                    "more": str(len(items) - 20),
                },
            )
        )
    return found
