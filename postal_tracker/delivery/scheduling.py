"""Putting results on routes: the scheduler job, the next attempt after a
failure, and the citizen's own choice of day. The algorithm is
:mod:`planner` (pure); this module reads what it needs and writes the rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlmodel import col, exists, select

from postal_tracker.config import Settings
from postal_tracker.custody.models import Item, ItemKind
from postal_tracker.custody.rules import Phase
from postal_tracker.db import transaction
from postal_tracker.delivery import planner
from postal_tracker.delivery.links import citizen_url
from postal_tracker.delivery.models import (
    OPEN_STATUSES,
    Delivery,
    DeliveryKind,
    DeliveryRoute,
    DeliveryStatus,
    DeliveryWorker,
)
from postal_tracker.delivery.notices import notify_citizen, window_text
from postal_tracker.intake.models import DeliveryPreference, Dossier
from postal_tracker.units.models import Unit, UnitKind
from postal_tracker.workdays import is_working_day, local_date

# Booked deliveries count against capacity only while they may still happen.
BOOKED_STATUSES = (DeliveryStatus.SCHEDULED, DeliveryStatus.OUT)
CITIZEN_CHOICE_DAYS = 14
BATCH = 1000


def schedule_ready_results(
    engine: Engine, today: date, settings: Settings | None = None, *, batch: int = BATCH
) -> int:
    """The scheduler job: claim the results taken by the post that have no
    open delivery, and schedule them, ``batch`` per transaction (so the
    SQLite write lock is never held for long). Returns how many were scheduled.

    Claiming is atomic: rows are locked ``FOR UPDATE SKIP LOCKED`` on
    PostgreSQL (a second scheduler skips them), and SQLite transactions begin
    IMMEDIATE (one writer at a time), so no result is scheduled twice."""
    settings = settings or Settings.from_env()
    total = 0
    after = 0  # results left unplaced (no route) are skipped, not claimed again
    while True:
        with transaction(engine) as session:
            items = claim_ready_results(session, after_id=after, limit=batch)
            if not items:
                return total
            total += schedule_claimed(session, items, today, settings)
            after = items[-1].id or after


def claim_ready_results(
    session: Session, *, after_id: int = 0, limit: int | None = None
) -> list[Item]:
    open_delivery = exists(
        select(Delivery.id).where(
            Delivery.item_id == Item.id, col(Delivery.status).in_(OPEN_STATUSES)
        )
    )
    query = (
        select(Item)
        .where(
            Item.kind == ItemKind.RESULT,
            Item.phase == Phase.RETURNING,
            col(Item.disputed).is_(False),
            ~open_delivery,
            col(Item.id) > after_id,
        )
        .order_by(col(Item.id))
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=Item)
    return list(session.scalars(query))


def schedule_claimed(session: Session, items: list[Item], today: date, settings: Settings) -> int:
    if not items:
        return 0
    dossiers = {
        d.id: d
        for d in session.scalars(
            select(Dossier).where(col(Dossier.id).in_({i.dossier_id for i in items}))
        )
    }
    communes = CommuneMap(session)
    ready: list[planner.Ready] = []
    for item in items:
        dossier = dossiers[item.dossier_id]
        commune = communes.commune_of(dossier.intake_unit_id)
        if commune is None or item.id is None:
            continue
        since = local_date(item.custody_since) if item.custody_since else today
        ready.append(
            planner.Ready(
                item.id,
                commune,
                max(since, today),
                dossier.delivery_preference is DeliveryPreference.PICKUP,
            )
        )
    routes = active_routes(session)
    result = planner.plan(
        ready, routes, capacities(session), booked_counts(session, today), is_working_day
    )
    by_id = {i.id: i for i in items}
    routes_by_id = {r.route_id: r for r in routes}
    post_points = _post_points(session)
    for slot in result.slots:
        item = by_id[slot.result_id]
        delivery = _new_delivery(item, slot, routes_by_id[slot.route_id], post_points, attempt=1)
        session.add(delivery)
        session.flush()
        notify_scheduled(session, dossiers[item.dossier_id], item, delivery, settings)
    session.flush()
    return len(result.slots)


def notify_scheduled(
    session: Session, dossier: Dossier, item: Item, delivery: Delivery, settings: Settings
) -> None:
    assert delivery.id is not None
    notify_citizen(
        session,
        dossier,
        "delivery_scheduled",
        {
            "tracking_code": item.tracking_code,
            "date": delivery.scheduled_on.isoformat(),
            "window": window_text(delivery.window_start, delivery.window_end),
            "link": citizen_url(settings.base_url, settings.secret_key, delivery.id),
        },
        dedupe_key=f"delivery-{delivery.id}-scheduled",
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
    """Replace ``delivery`` by one on ``day`` (raises :class:`planner.SlotRefused`)."""
    routes = [r for r in active_routes(session) if r.commune_id == delivery.commune_id]
    booked = booked_counts(session, today)
    if delivery.worker_user_id is not None:
        # The delivery being moved frees its own place.
        key = (delivery.worker_user_id, delivery.scheduled_on)
        booked[key] = max(0, booked.get(key, 0) - 1)
    ledger = planner.Ledger(capacities(session), booked)
    if day <= today:
        raise planner.SlotRefused("past")
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
