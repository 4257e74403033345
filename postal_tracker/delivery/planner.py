"""Scheduling results onto postal routes, pure: no Flask, no database.

A result goes on the first day on or after it is ready that is a working day,
a weekday of a route serving its commune, and on which that route's worker
still has room under their daily capacity; a full day overflows to the next
route day. Results are placed in order of readiness (then id), so nobody
ready earlier waits behind someone ready later.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, time, timedelta

from postal_tracker.errors import N_, DomainError

# How far ahead to look for a route day with room; beyond it a result is
# reported unplaced (a supervisor must add capacity) rather than looped on.
HORIZON_DAYS = 120


@dataclass(frozen=True)
class Ready:
    """A result taken by the post, waiting for a delivery."""

    result_id: int
    commune_id: int
    ready_on: date
    pickup: bool = False


@dataclass(frozen=True)
class RouteDays:
    route_id: int
    worker_id: int
    commune_id: int
    weekdays: frozenset[int]  # Monday = 0
    window_start: time
    window_end: time


@dataclass(frozen=True)
class Slot:
    result_id: int
    route_id: int
    worker_id: int
    day: date
    window_start: time
    window_end: time
    pickup: bool


@dataclass(frozen=True)
class Plan:
    slots: list[Slot]
    unplaced: list[Ready]  # no route serves the commune, or no room within the horizon


# Why a day cannot take a delivery, by a stable code.
SLOT_REFUSALS = {
    "past": N_("Choose a day after today."),
    "not_working_day": N_("That day is a weekend or a public holiday."),
    "not_route_day": N_("The postal worker does not serve your commune that day."),
    "full": N_("That day is full; choose another."),
}


def slot_refused(code: str) -> DomainError:
    """The refusal of a delivery day (the field ``day``), ``code`` from :data:`SLOT_REFUSALS`."""
    return DomainError(SLOT_REFUSALS[code], field="day", code=code)


WorkingDay = Callable[[date], bool]


class Ledger:
    """Bookings per (worker, day), against each worker's daily capacity."""

    def __init__(self, capacity: Mapping[int, int], booked: Mapping[tuple[int, date], int]) -> None:
        self.capacity = capacity
        self.booked: dict[tuple[int, date], int] = defaultdict(int, booked)

    def has_room(self, worker_id: int, day: date) -> bool:
        return self.booked[(worker_id, day)] < self.capacity.get(worker_id, 0)

    def book(self, worker_id: int, day: date) -> None:
        self.booked[(worker_id, day)] += 1


def plan(
    results: Iterable[Ready],
    routes: Iterable[RouteDays],
    capacity: Mapping[int, int],
    booked: Mapping[tuple[int, date], int],
    is_working_day: WorkingDay,
    *,
    horizon_days: int = HORIZON_DAYS,
) -> Plan:
    """Slots for ``results``; ``booked`` counts deliveries already on each
    (worker, day), which count against ``capacity`` (per worker per day)."""
    by_commune: dict[int, list[RouteDays]] = defaultdict(list)
    for route in routes:
        by_commune[route.commune_id].append(route)
    for commune_routes in by_commune.values():
        commune_routes.sort(key=lambda r: (r.window_start, r.route_id))
    ledger = Ledger(capacity, booked)
    working = _memo(is_working_day)
    # Capacity only ever shrinks during a plan and results come in order of
    # readiness, so the days a commune's result skipped are of no use to its
    # later results either: each commune keeps a cursor at its last slot day,
    # which keeps a large batch linear instead of rescanning full days.
    cursor: dict[int, date] = {}
    slots: list[Slot] = []
    unplaced: list[Ready] = []
    for ready in sorted(results, key=lambda r: (r.ready_on, r.result_id)):
        serving = by_commune.get(ready.commune_id)
        if not serving:
            unplaced.append(ready)
            continue
        start = max(ready.ready_on, cursor.get(ready.commune_id, ready.ready_on))
        found = _first_day(
            serving, start, ready.ready_on + timedelta(horizon_days), ledger, working
        )
        if found is None:
            unplaced.append(ready)
            continue
        day, route = found
        cursor[ready.commune_id] = day
        ledger.book(route.worker_id, day)
        slots.append(
            Slot(
                ready.result_id,
                route.route_id,
                route.worker_id,
                day,
                route.window_start,
                route.window_end,
                ready.pickup,
            )
        )
    return Plan(slots, unplaced)


def _first_day(
    routes: list[RouteDays], start: date, last: date, ledger: Ledger, working: WorkingDay
) -> tuple[date, RouteDays] | None:
    """The first day from ``start`` to ``last`` with room on a route, and that route."""
    day = start
    while day <= last:
        if working(day):
            weekday = day.weekday()
            for route in routes:
                if weekday in route.weekdays and ledger.has_room(route.worker_id, day):
                    return day, route
        day += timedelta(days=1)
    return None


def route_days(
    routes: Iterable[RouteDays],
    start: date,
    days: int,
    ledger: Ledger,
    is_working_day: WorkingDay,
) -> list[tuple[date, RouteDays]]:
    """Each day from ``start`` for ``days`` days that a route serves, that is a
    working day and on which its worker has room (one route per day: the first)."""
    routes = sorted(routes, key=lambda r: (r.window_start, r.route_id))
    found: list[tuple[date, RouteDays]] = []
    for n in range(days):
        day = start + timedelta(days=n)
        if not is_working_day(day):
            continue
        for route in routes:
            if day.weekday() in route.weekdays and ledger.has_room(route.worker_id, day):
                found.append((day, route))
                break
    return found


def check_slot(
    day: date,
    routes: Iterable[RouteDays],
    ledger: Ledger,
    is_working_day: WorkingDay,
    *,
    today: date,
) -> RouteDays:
    """The route that takes a delivery on ``day``, or a :func:`slot_refused` error."""
    if day < today:
        raise slot_refused("past")
    if not is_working_day(day):
        raise slot_refused("not_working_day")
    serving = [r for r in routes if day.weekday() in r.weekdays]
    if not serving:
        raise slot_refused("not_route_day")
    for route in sorted(serving, key=lambda r: (r.window_start, r.route_id)):
        if ledger.has_room(route.worker_id, day):
            return route
    raise slot_refused("full")


def _memo(is_working_day: WorkingDay) -> WorkingDay:
    cache: dict[date, bool] = {}

    def working(day: date) -> bool:
        if day not in cache:
            cache[day] = is_working_day(day)
        return cache[day]

    return working
