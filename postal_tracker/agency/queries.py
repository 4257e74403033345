"""What an agency clerk may see: their agencies, their dossiers, the
dashboard's lists. Anything else is None (the page answers 404)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session
from sqlmodel import col, or_, select

from postal_tracker.agency.models import AgencyResult, Appointment
from postal_tracker.auth.models import User
from postal_tracker.auth.roles import Role
from postal_tracker.auth.service import units_of
from postal_tracker.custody.models import Item, ItemKind
from postal_tracker.custody.rules import Phase
from postal_tracker.intake.models import Dossier
from postal_tracker.units.kinds import UnitKind
from postal_tracker.units.models import Unit
from postal_tracker.workdays import working_days_between

DUE_SOON_WORKING_DAYS = 2


def agency_ids(session: Session, user: User) -> list[int]:
    """The agencies ``user`` is a clerk of (none for other roles)."""
    if user.role is not Role.AGENCY_CLERK:
        return []
    return [u.id for u in units_of(session, user) if u.kind is UnitKind.AGENCY and u.id]


def clerk_dossier(session: Session, user: User, dossier_id: int) -> Dossier | None:
    """The dossier if it is addressed to one of ``user``'s agencies."""
    ids = agency_ids(session, user)
    if not ids:
        return None
    return session.scalars(
        select(Dossier).where(Dossier.id == dossier_id, col(Dossier.agency_id).in_(ids))
    ).first()


def dossier_item(session: Session, dossier_id: int) -> Item | None:
    return session.scalars(
        select(Item)
        .where(Item.dossier_id == dossier_id, Item.kind == ItemKind.DOSSIER)
        .order_by(col(Item.id))
    ).first()


def result_of(session: Session, dossier_id: int) -> AgencyResult | None:
    return session.scalars(
        select(AgencyResult).where(AgencyResult.dossier_id == dossier_id)
    ).first()


def current_appointment(session: Session, dossier_id: int) -> Appointment | None:
    """The newest appointment: a later one (after an apology) replaces the earlier."""
    return session.scalars(
        select(Appointment)
        .where(Appointment.dossier_id == dossier_id)
        .order_by(col(Appointment.id).desc())
    ).first()


def appointments_of(session: Session, dossier_id: int) -> list[Appointment]:
    return list(
        session.scalars(
            select(Appointment)
            .where(Appointment.dossier_id == dossier_id)
            .order_by(col(Appointment.id))
        )
    )


@dataclass(frozen=True)
class Due:
    """How an appointment stands today."""

    due_on: date
    working_days_left: int  # negative when late
    late: bool

    @property
    def soon(self) -> bool:
        return not self.late and self.working_days_left <= DUE_SOON_WORKING_DAYS


def due(appointment: Appointment | None, today: date) -> Due | None:
    if appointment is None:
        return None
    day = appointment.due_on
    return Due(day, working_days_between(today, day), late=today > day)


@dataclass(frozen=True)
class DashboardRow:
    dossier: Dossier
    item: Item
    due: Due | None = None
    result: AgencyResult | None = None
    offered_to: str = ""  # for a result offered to the post: to whom


@dataclass(frozen=True)
class Dashboard:
    incoming: list[DashboardRow]
    at_agency: list[DashboardRow]
    results: list[DashboardRow]


def dashboard(session: Session, user: User, today: date) -> Dashboard:
    """Dossiers offered to the clerk's agencies, dossiers at them awaiting a
    result (the most urgent first), and results not yet collected by the post."""
    ids = agency_ids(session, user)
    if not ids:
        return Dashboard([], [], [])
    incoming = session.execute(
        select(Item, Dossier)
        .join(Dossier, col(Dossier.id) == Item.dossier_id)
        .where(
            Item.kind == ItemKind.DOSSIER,
            col(Dossier.agency_id).in_(ids),
            col(Item.offered_to_agency).is_(True),
            or_(col(Item.offered_to_unit_id).in_(ids), col(Item.offered_to_user_id) == user.id),
        )
        .order_by(col(Item.id))
    ).all()
    held = session.execute(
        select(Item, Dossier)
        .join(Dossier, col(Dossier.id) == Item.dossier_id)
        .where(col(Item.custodian_unit_id).in_(ids), col(Item.phase).in_([Phase.AT_AGENCY]))
        .where(Item.kind == ItemKind.DOSSIER, col(Dossier.agency_id).in_(ids))
    ).all()
    dossier_ids = [d.id for _, d in held if d.id is not None]
    results = {r.dossier_id: r for r in _results(session, dossier_ids)}
    appointments = _current_appointments(session, dossier_ids)
    at_agency = [
        DashboardRow(d, i, due(appointments.get(d.id or 0), today))
        for i, d in held
        if d.id not in results
    ]
    at_agency.sort(key=lambda r: (r.due is None, r.due.due_on if r.due else date.max))
    ready = session.execute(
        select(Item, Dossier, AgencyResult)
        .join(Dossier, col(Dossier.id) == Item.dossier_id)
        .join(AgencyResult, col(AgencyResult.item_id) == Item.id)
        .where(col(Item.custodian_unit_id).in_(ids), Item.phase == Phase.RESULT_READY)
        .order_by(col(Item.id))
    ).all()
    return Dashboard(
        incoming=[DashboardRow(d, i) for i, d in incoming],
        at_agency=at_agency,
        results=[
            DashboardRow(d, i, result=r, offered_to=_offer_name(session, i)) for i, d, r in ready
        ],
    )


def _results(session: Session, dossier_ids: list[int]) -> list[AgencyResult]:
    if not dossier_ids:
        return []
    return list(
        session.scalars(select(AgencyResult).where(col(AgencyResult.dossier_id).in_(dossier_ids)))
    )


def _current_appointments(session: Session, dossier_ids: list[int]) -> dict[int, Appointment]:
    current: dict[int, Appointment] = {}
    if not dossier_ids:
        return current
    rows = session.scalars(
        select(Appointment)
        .where(col(Appointment.dossier_id).in_(dossier_ids))
        .order_by(col(Appointment.id))
    )
    for row in rows:
        current[row.dossier_id] = row  # ordered by id: the newest wins
    return current


def _offer_name(session: Session, item: Item) -> str:
    if item.offer_event_id is None:
        return ""
    if item.offered_to_user_id is not None:
        person = session.get(User, item.offered_to_user_id)
        return person.full_name if person else ""
    unit = session.get(Unit, item.offered_to_unit_id) if item.offered_to_unit_id else None
    return unit.name if unit else ""
