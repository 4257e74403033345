"""Putting results on routes: the scheduler job, the next attempt after a
failure, and the citizen's own choice of day. The algorithm is
:mod:`planner` (pure); this module reads what it needs and writes the rows.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import Exists
from sqlmodel import col, exists, select

from postal_tracker.config import Settings
from postal_tracker.custody.models import Item, ItemKind
from postal_tracker.custody.rules import Phase
from postal_tracker.db import transaction
from postal_tracker.delivery import planner
from postal_tracker.delivery.links import citizen_url, citizen_urls
from postal_tracker.delivery.models import (
    OPEN_STATUSES,
    Delivery,
    DeliveryKind,
    DeliveryRoute,
    DeliveryStatus,
    DeliveryWorker,
)
from postal_tracker.delivery.notices import Notice, notify_citizen, notify_citizens, window_text
from postal_tracker.intake.models import DeliveryPreference, Dossier
from postal_tracker.units.models import Unit, UnitKind
from postal_tracker.workdays import is_working_day, local_date

# Booked deliveries count against capacity only while they may still happen.
BOOKED_STATUSES = (DeliveryStatus.SCHEDULED, DeliveryStatus.OUT)
CITIZEN_CHOICE_DAYS = 14
BATCH = 1000

log = logging.getLogger(__name__)


def schedule_ready_results(
    engine: Engine, today: date, settings: Settings | None = None, *, batch: int = BATCH
) -> int:
    """The scheduler job: claim the results taken by the post that have no
    open delivery, and schedule them, ``batch`` per transaction (so the
    SQLite write lock is never held for long, memory stays flat, and a crash
    loses at most the batch in hand, which the next run picks up). Each
    batch is read in a few set-based queries, planned in memory, and written
    with one INSERT over all its deliveries and one over their notices.
    Returns how many were scheduled.

    Claiming is atomic: rows are locked ``FOR UPDATE SKIP LOCKED`` on
    PostgreSQL (a second scheduler skips them), and SQLite transactions begin
    IMMEDIATE (one writer at a time), so no result is scheduled twice.

    A result that cannot be placed (no route serves its commune, or no room
    within the planner's horizon) is logged as a warning and left as it is:
    the next run tries it again."""
    settings = settings or Settings.from_env()
    total = 0
    unplaced: list[int] = []
    after = 0  # results left unplaced are skipped in this run, not claimed again
    while True:
        with transaction(engine) as session:
            items = claim_ready_results(session, after_id=after, limit=batch)
            if not items:
                break
            outcome = schedule_claimed(session, items, today, settings)
            total += outcome.scheduled
            unplaced += outcome.unplaced
            after = items[-1].id or after
    if unplaced:
        log.warning(
            "%d ready result(s) not scheduled: no route serves their commune, or no "
            "room within %d days; item ids: %s",
            len(unplaced),
            planner.HORIZON_DAYS,
            ", ".join(map(str, unplaced[:50])) + (" ..." if len(unplaced) > 50 else ""),
        )
    return total


@dataclass(frozen=True)
class Claimed:
    """What scheduling needs of a claimed result and of its dossier."""

    id: int
    dossier_id: int
    tracking_code: str
    custody_since: datetime | None
    intake_unit_id: int
    pickup: bool
    phone: str
    email: str


@dataclass(frozen=True)
class Outcome:
    scheduled: int
    unplaced: list[int]  # item ids


def claim_ready_results(
    session: Session, *, after_id: int = 0, limit: int | None = None
) -> list[Claimed]:
    """Lock and read the next results to schedule, oldest id first."""
    query = (
        sa.select(
            col(Item.id),
            col(Item.dossier_id),
            col(Item.tracking_code),
            col(Item.custody_since),
            col(Dossier.intake_unit_id),
            col(Dossier.delivery_preference),
            col(Dossier.sender_phone),
            col(Dossier.sender_email),
        )
        .join(Dossier, col(Dossier.id) == Item.dossier_id)
        .where(
            col(Item.kind) == ItemKind.RESULT,
            col(Item.phase) == Phase.RETURNING,
            col(Item.disputed).is_(False),
            ~_open_delivery(),
            col(Item.id) > after_id,
        )
        .order_by(col(Item.id))
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=Item)
    return [
        Claimed(i, d, code, since, unit, pref is DeliveryPreference.PICKUP, phone, email)
        for i, d, code, since, unit, pref, phone, email in session.execute(query)
        if i is not None
    ]


def _not_taken_meanwhile(session: Session, items: list[Claimed]) -> list[Claimed]:
    """On PostgreSQL, the claim's NOT EXISTS saw the deliveries committed when
    its statement began: a scheduler that held one of these rows and committed
    before the claim locked it is seen only by a new statement (read
    committed), so the claimed rows are checked again once they are locked."""
    if session.get_bind().dialect.name != "postgresql":
        return items  # SQLite: the claim's transaction began IMMEDIATE, alone
    taken = set(
        session.scalars(
            select(Delivery.item_id).where(
                col(Delivery.item_id).in_([i.id for i in items]),
                col(Delivery.status).in_(OPEN_STATUSES),
            )
        )
    )
    return [i for i in items if i.id not in taken]


def _open_delivery() -> Exists:
    return exists(
        select(Delivery.id).where(
            Delivery.item_id == Item.id, col(Delivery.status).in_(OPEN_STATUSES)
        )
    )


def schedule_claimed(
    session: Session, items: list[Claimed], today: date, settings: Settings
) -> Outcome:
    """Plan ``items`` onto the active routes and write their deliveries and
    notices in bulk. Flushes, never commits."""
    items = _not_taken_meanwhile(session, items)
    if not items:
        return Outcome(0, [])
    session.flush()
    communes = CommuneMap(session)
    ready: list[planner.Ready] = []
    unplaced: list[int] = []
    for item in items:
        commune = communes.commune_of(item.intake_unit_id)
        if commune is None:
            unplaced.append(item.id)
            continue
        since = local_date(item.custody_since) if item.custody_since else today
        ready.append(planner.Ready(item.id, commune, max(since, today), item.pickup))
    routes = active_routes(session)
    result = planner.plan(
        ready, routes, capacities(session), booked_counts(session, today), is_working_day
    )
    unplaced += [r.result_id for r in result.unplaced]
    if not result.slots:
        return Outcome(0, sorted(unplaced))
    by_id = {i.id: i for i in items}
    routes_by_id = {r.route_id: r for r in routes}
    post_points = _post_points(session)
    template = _delivery_defaults()
    rows = [
        template
        | {
            "item_id": slot.result_id,
            "dossier_id": by_id[slot.result_id].dossier_id,
            "kind": DeliveryKind.PICKUP if slot.pickup else DeliveryKind.HOME,
            "route_id": slot.route_id,
            "worker_user_id": slot.worker_id,
            "commune_id": routes_by_id[slot.route_id].commune_id,
            "post_point_id": post_points.get(slot.route_id),
            "scheduled_on": slot.day,
            "window_start": slot.window_start,
            "window_end": slot.window_end,
        }
        for slot in result.slots
    ]
    # A plain executemany, read back by item: with RETURNING, SQLAlchemy
    # writes one huge multi-row statement that psycopg spends longer parsing
    # than PostgreSQL spends inserting. Each claimed item (locked, without an
    # open delivery) now has exactly one scheduled delivery.
    session.execute(sa.insert(Delivery.__table__), rows)  # type: ignore[attr-defined]
    delivery_of: dict[int, int] = {
        item_id: id_
        for item_id, id_ in session.execute(
            sa.select(col(Delivery.item_id), col(Delivery.id)).where(
                col(Delivery.item_id).in_([slot.result_id for slot in result.slots]),
                col(Delivery.status) == DeliveryStatus.SCHEDULED,
            )
        )
        if id_ is not None
    }
    link = citizen_urls(settings.base_url, settings.secret_key)
    notices = []
    for slot in result.slots:
        item = by_id[slot.result_id]
        delivery_id = delivery_of[slot.result_id]
        notices.append(
            Notice(
                item.dossier_id,
                item.phone,
                item.email,
                "delivery_scheduled",
                _scheduled_context(
                    item.tracking_code,
                    slot.day,
                    slot.window_start,
                    slot.window_end,
                    link(delivery_id),
                ),
                _scheduled_key(delivery_id),
            )
        )
    notify_scheduled_many(session, notices)
    return Outcome(len(result.slots), sorted(unplaced))


def _delivery_defaults() -> dict[str, Any]:
    """A new scheduled first attempt's values for the columns the planner
    leaves out, taken from the model so they cannot drift."""
    blank = Delivery(
        item_id=0,
        dossier_id=0,
        kind=DeliveryKind.HOME,
        status=DeliveryStatus.SCHEDULED,
        commune_id=0,
        scheduled_on=date.min,
        window_start=time.min,
        window_end=time.min,
    )
    table = Delivery.__table__  # type: ignore[attr-defined]
    return {c.name: getattr(blank, c.name) for c in table.columns if c.name != "id"}


def notify_scheduled_many(session: Session, notices: list[Notice]) -> None:
    """The "delivery scheduled" notices of a batch, queued at once."""
    notify_citizens(session, notices)


def _scheduled_context(
    tracking_code: str, day: date, start: time, end: time, link: str
) -> dict[str, Any]:
    return {
        "tracking_code": tracking_code,
        "date": day.isoformat(),
        "window": window_text(start, end),
        "link": link,
    }


def _scheduled_key(delivery_id: int) -> str:
    return f"delivery-{delivery_id}-scheduled"


def notify_scheduled(
    session: Session, dossier: Dossier, item: Item, delivery: Delivery, settings: Settings
) -> None:
    assert delivery.id is not None
    notify_citizen(
        session,
        dossier,
        "delivery_scheduled",
        _scheduled_context(
            item.tracking_code,
            delivery.scheduled_on,
            delivery.window_start,
            delivery.window_end,
            citizen_url(settings.base_url, settings.secret_key, delivery.id),
        ),
        dedupe_key=_scheduled_key(delivery.id),
    )


def _new_delivery(
    item: Item,
    slot: planner.Slot,
    route: planner.RouteDays,
    post_points: dict[int, int | None],
    *,
    attempt: int,
    replaces: Delivery | None = None,
) -> Delivery:
    assert item.id is not None
    return Delivery(
        item_id=item.id,
        dossier_id=item.dossier_id,
        attempt=attempt,
        kind=DeliveryKind.PICKUP if slot.pickup else DeliveryKind.HOME,
        status=DeliveryStatus.SCHEDULED,
        route_id=slot.route_id,
        worker_user_id=slot.worker_id,
        commune_id=route.commune_id,
        post_point_id=post_points.get(slot.route_id),
        scheduled_on=slot.day,
        window_start=slot.window_start,
        window_end=slot.window_end,
        replaces_id=replaces.id if replaces else None,
    )


def schedule_next_attempt(
    session: Session, previous: Delivery, item: Item, after: date
) -> Delivery | None:
    """A new attempt on the first route day with room after ``after``."""
    routes = [r for r in active_routes(session) if r.commune_id == previous.commune_id]
    ready = planner.Ready(previous.item_id, previous.commune_id, after + timedelta(days=1))
    result = planner.plan(
        [ready], routes, capacities(session), booked_counts(session, after), is_working_day
    )
    if not result.slots:
        return None
    slot = result.slots[0]
    delivery = _new_delivery(
        item,
        slot,
        {r.route_id: r for r in routes}[slot.route_id],
        _post_points(session),
        attempt=previous.attempt + 1,
        replaces=previous,
    )
    session.add(delivery)
    session.flush()
    return delivery


def choice_days(session: Session, delivery: Delivery, today: date) -> list[date]:
    """Days the citizen may choose: route days of their commune that are
    working days with room, from tomorrow for two weeks."""
    routes = [r for r in active_routes(session) if r.commune_id == delivery.commune_id]
    ledger = planner.Ledger(capacities(session), booked_counts(session, today))
    days = planner.route_days(
        routes, today + timedelta(days=1), CITIZEN_CHOICE_DAYS, ledger, is_working_day
    )
    return [d for d, _ in days if d != delivery.scheduled_on]


def move_to_day(
    session: Session, delivery: Delivery, item: Item, day: date, today: date, *, pickup: bool
) -> Delivery:
    """Replace ``delivery`` by one on ``day`` (raises :func:`planner.slot_refused` errors)."""
    routes = [r for r in active_routes(session) if r.commune_id == delivery.commune_id]
    booked = booked_counts(session, today)
    if delivery.worker_user_id is not None:
        # The delivery being moved frees its own place.
        key = (delivery.worker_user_id, delivery.scheduled_on)
        booked[key] = max(0, booked.get(key, 0) - 1)
    ledger = planner.Ledger(capacities(session), booked)
    if day <= today:
        raise planner.slot_refused("past")
    route = planner.check_slot(day, routes, ledger, is_working_day, today=today)
    slot = planner.Slot(
        delivery.item_id,
        route.route_id,
        route.worker_id,
        day,
        route.window_start,
        route.window_end,
        pickup,
    )
    delivery.status = DeliveryStatus.CANCELLED
    replacement = _new_delivery(
        item, slot, route, _post_points(session), attempt=delivery.attempt, replaces=delivery
    )
    session.add(replacement)
    session.flush()
    return replacement


def active_routes(session: Session) -> list[planner.RouteDays]:
    rows = session.scalars(select(DeliveryRoute).where(col(DeliveryRoute.active).is_(True))).all()
    return [
        planner.RouteDays(
            r.id or 0,
            r.worker_user_id,
            r.commune_id,
            frozenset(int(c) for c in r.weekdays),
            r.window_start,
            r.window_end,
        )
        for r in rows
    ]


def _post_points(session: Session) -> dict[int, int | None]:
    return dict(
        (r, p)
        for r, p in session.execute(select(DeliveryRoute.id, DeliveryRoute.post_point_id))
        if r
    )


def capacities(session: Session) -> dict[int, int]:
    return dict(
        (u, c)
        for u, c in session.execute(select(DeliveryWorker.user_id, DeliveryWorker.daily_capacity))
    )


def booked_counts(session: Session, since: date) -> dict[tuple[int, date], int]:
    rows = session.execute(
        select(col(Delivery.worker_user_id), col(Delivery.scheduled_on), func.count())
        .where(
            col(Delivery.status).in_(BOOKED_STATUSES),
            col(Delivery.scheduled_on) >= since,
            col(Delivery.worker_user_id).is_not(None),
        )
        .group_by(col(Delivery.worker_user_id), col(Delivery.scheduled_on))
    ).all()
    return {(w, d): int(n) for w, d, n in rows if w is not None}


class CommuneMap:
    """Which commune a unit lies in (walking ``parent_id`` up), for all units at once."""

    def __init__(self, session: Session) -> None:
        self.units = {u.id: u for u in session.scalars(select(Unit))}

    def commune_of(self, unit_id: int | None) -> int | None:
        seen: set[int] = set()
        while unit_id is not None and unit_id not in seen:
            seen.add(unit_id)
            unit = self.units.get(unit_id)
            if unit is None:
                return None
            if unit.kind is UnitKind.COMMUNE:
                return unit_id
            unit_id = unit.parent_id
        return None


def open_delivery(session: Session, item_id: int) -> Delivery | None:
    return session.scalars(
        select(Delivery)
        .where(Delivery.item_id == item_id, col(Delivery.status).in_(OPEN_STATUSES))
        .order_by(col(Delivery.id).desc())
    ).first()


def ids(rows: Iterable[Delivery]) -> list[int]:
    return [r.id for r in rows if r.id is not None]
