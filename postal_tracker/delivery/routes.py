"""Keeping routes: which communes each postal worker serves on which
weekdays, in which window, and how many deliveries a worker takes a day.

One checker serves the page and the CSV import, so both refuse the same
things with the same codes (see :data:`ROUTE_ERRORS` in ``forms``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time

from sqlalchemy.orm import Session
from sqlmodel import col, select

from postal_tracker.auth.models import Role, User
from postal_tracker.auth.service import find_user
from postal_tracker.db import utcnow
from postal_tracker.delivery.models import DeliveryRoute, DeliveryWorker
from postal_tracker.errors import N_, DomainError
from postal_tracker.units.models import Unit, UnitKind

MAX_CAPACITY = 500
# Monday = 0. English abbreviations, and the Vietnamese "Thứ 2" (Monday) to "CN".
_DAY_NAMES = {
    "mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6,
    "t2": 0, "t3": 1, "t4": 2, "t5": 3, "t6": 4, "t7": 5, "cn": 6,
}  # fmt: skip


BAD_TIME = N_("Write a time as HH:MM, e.g. 08:00.")


@dataclass(frozen=True)
class RouteInput:
    """A route as typed (page) or read (CSV): names and codes, not ids."""

    worker: str  # username
    commune: str  # unit code
    weekdays: str
    window_start: str
    window_end: str
    daily_capacity: str
    post_point: str = ""  # unit code, optional


@dataclass(frozen=True)
class CheckedRoute:
    worker: User
    commune: Unit
    weekdays: str  # digits
    window_start: time
    window_end: time
    daily_capacity: int
    post_point: Unit | None


def parse_weekdays(text: str) -> str:
    """``"Mon Wed Fri"``, ``"T2,T4,T6"`` or ``"0 2 4"`` as the digits ``"024"``."""
    days: set[int] = set()
    for part in re.split(r"[\s,;|/]+", text.strip().lower()):
        if not part:
            continue
        if part.isdigit() and len(part) == 1 and int(part) <= 6:
            days.add(int(part))
        elif part in _DAY_NAMES:
            days.add(_DAY_NAMES[part])
        else:
            raise DomainError(
                N_("Write weekdays as Mon Tue ... Sun, T2 ... CN, or 0 to 6."),
                field="weekdays",
                code="invalid",
            )
    if not days:
        raise DomainError(N_("Choose at least one weekday."), field="weekdays", code="required")
    return "".join(str(d) for d in sorted(days))


def parse_time(field: str, text: str) -> time:
    match = re.fullmatch(r"(\d{1,2})[:hH](\d{2})", text.strip())
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise DomainError(BAD_TIME, field=field, code="invalid")
    return time(int(match.group(1)), int(match.group(2)))


def check_route(session: Session, raw: RouteInput) -> CheckedRoute:
    """The route with its people and places looked up; :class:`DomainError` on the first problem."""
    worker = find_user(session, raw.worker.strip())
    if worker is None or worker.role is not Role.POSTAL_WORKER or not worker.active:
        raise DomainError(
            N_("Choose an active postal worker."), field="worker", code="not_postal_worker"
        )
    commune = session.scalars(select(Unit).where(Unit.code == raw.commune.strip())).first()
    if commune is None or commune.kind is not UnitKind.COMMUNE:
        raise DomainError(
            N_("Choose a commune (use its unit code)."), field="commune", code="not_commune"
        )
    weekdays = parse_weekdays(raw.weekdays)
    start = parse_time("window_start", raw.window_start)
    end = parse_time("window_end", raw.window_end)
    if end <= start:
        raise DomainError(
            N_("The window must end after it starts."), field="window_end", code="before_start"
        )
    try:
        capacity = int(raw.daily_capacity.strip())
    except ValueError:
        raise DomainError(
            N_("Enter a whole number."), field="daily_capacity", code="invalid"
        ) from None
    if not 1 <= capacity <= MAX_CAPACITY:
        raise DomainError(N_("Enter a number from 1 to 500."), field="daily_capacity", code="range")
    post_point = None
    if raw.post_point.strip():
        post_point = session.scalars(
            select(Unit).where(Unit.code == raw.post_point.strip())
        ).first()
        if (
            post_point is None
            or not post_point.path.startswith(commune.path)
            or post_point is commune
        ):
            raise DomainError(
                N_("The post point must be an office in that commune."),
                field="post_point",
                code="not_in_commune",
            )
    return CheckedRoute(worker, commune, weekdays, start, end, capacity, post_point)


def save_route(session: Session, route: CheckedRoute) -> DeliveryRoute:
    """Create or update the worker's route for the commune, and their capacity."""
    row = session.scalars(
        select(DeliveryRoute).where(
            DeliveryRoute.worker_user_id == route.worker.id,
            DeliveryRoute.commune_id == route.commune.id,
        )
    ).first()
    assert route.worker.id is not None and route.commune.id is not None
    if row is None:
        row = DeliveryRoute(
            worker_user_id=route.worker.id,
            commune_id=route.commune.id,
            weekdays=route.weekdays,
            window_start=route.window_start,
            window_end=route.window_end,
        )
        session.add(row)
    row.weekdays = route.weekdays
    row.window_start = route.window_start
    row.window_end = route.window_end
    row.post_point_id = route.post_point.id if route.post_point else None
    row.active = True
    row.updated_at = utcnow()
    worker = session.scalars(
        select(DeliveryWorker).where(DeliveryWorker.user_id == route.worker.id)
    ).first()
    if worker is None:
        worker = DeliveryWorker(user_id=route.worker.id)
        session.add(worker)
    worker.daily_capacity = route.daily_capacity
    session.flush()
    return row


def set_active(session: Session, route_id: int, active: bool) -> DeliveryRoute | None:
    row = session.get(DeliveryRoute, route_id)
    if row is not None:
        row.active = active
        row.updated_at = utcnow()
        session.flush()
    return row


@dataclass(frozen=True)
class RouteRow:
    route: DeliveryRoute
    worker: User
    commune: Unit
    post_point: Unit | None
    daily_capacity: int


def list_routes(session: Session) -> list[RouteRow]:
    units = {u.id: u for u in session.scalars(select(Unit))}
    users = {u.id: u for u in session.scalars(select(User).where(User.role == Role.POSTAL_WORKER))}
    capacity = dict(
        (u, c)
        for u, c in session.execute(select(DeliveryWorker.user_id, DeliveryWorker.daily_capacity))
    )
    rows = session.scalars(
        select(DeliveryRoute).order_by(col(DeliveryRoute.active).desc(), col(DeliveryRoute.id))
    ).all()
    return [
        RouteRow(
            r,
            users[r.worker_user_id],
            units[r.commune_id],
            units.get(r.post_point_id) if r.post_point_id else None,
            capacity.get(r.worker_user_id, 0),
        )
        for r in rows
        if r.worker_user_id in users
    ]
