"""The pure scheduler, property-tested against the rules it must keep."""

from __future__ import annotations

from collections import Counter
from datetime import date, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from postal_tracker.delivery.planner import (
    Ledger,
    Ready,
    RouteDays,
    check_slot,
    plan,
    route_days,
)
from postal_tracker.errors import DomainError
from postal_tracker.workdays import is_working_day

START = date(2027, 1, 25)  # a Monday two weeks before Tết 2027 (6 February)
MORNING = (time(8), time(11, 30))


def route(route_id: int, worker: int, commune: int, weekdays: set[int]) -> RouteDays:
    return RouteDays(route_id, worker, commune, frozenset(weekdays), *MORNING)


routes_st = st.lists(
    st.builds(
        route,
        st.integers(1, 1000),
        st.integers(1, 3),
        st.integers(1, 3),
        st.sets(st.integers(0, 6), min_size=1),
    ),
    max_size=5,
    unique_by=lambda r: r.route_id,
)
results_st = st.lists(
    st.builds(
        Ready,
        st.integers(1, 10_000),
        st.integers(1, 3),
        st.dates(START, START + timedelta(days=40)),
        st.booleans(),
    ),
    max_size=40,
    unique_by=lambda r: r.result_id,
)
capacity_st = st.dictionaries(st.integers(1, 3), st.integers(0, 4))


@settings(max_examples=150, deadline=None)
@given(results_st, routes_st, capacity_st)
def test_slots_keep_every_rule(
    results: list[Ready], routes: list[RouteDays], capacity: dict[int, int]
) -> None:
    out = plan(results, routes, capacity, {}, is_working_day)
    route_by_id = {r.route_id: r for r in routes}
    assert len(out.slots) + len(out.unplaced) == len(results)
    assert {s.result_id for s in out.slots}.isdisjoint({u.result_id for u in out.unplaced})
    per_day = Counter((s.worker_id, s.day) for s in out.slots)
    for (worker, _day), count in per_day.items():
        assert count <= capacity.get(worker, 0)
    # Replay in the planner's order: each slot is the earliest day with room then.
    ledger = Ledger(capacity, {})
    slots = {s.result_id: s for s in out.slots}
    for ready in sorted(results, key=lambda r: (r.ready_on, r.result_id)):
        serving = [r for r in routes if r.commune_id == ready.commune_id]
        earliest = next(
            (
                day
                for n in range(121)
                if (day := ready.ready_on + timedelta(days=n))
                and is_working_day(day)
                and any(
                    day.weekday() in r.weekdays and ledger.has_room(r.worker_id, day)
                    for r in serving
                )
            ),
            None,
        )
        slot = slots.get(ready.result_id)
        if slot is None:
            assert earliest is None
            continue
        r = route_by_id[slot.route_id]
        assert slot.day == earliest
        assert slot.day >= ready.ready_on
        assert is_working_day(slot.day)
        assert slot.day.weekday() in r.weekdays and r.commune_id == ready.commune_id
        assert slot.pickup is ready.pickup
        assert (slot.window_start, slot.window_end) == (r.window_start, r.window_end)
        ledger.book(slot.worker_id, slot.day)


def test_tet_is_skipped() -> None:
    # Ready on the Friday before Tết 2027; the Lunar New Year holidays run
    # to mid-February, so a Monday-Wednesday-Friday route waits until after.
    routes = [route(1, 1, 1, {0, 2, 4})]
    ready = Ready(1, 1, date(2027, 2, 5))
    [slot] = plan([ready], routes, {1: 5}, {}, is_working_day).slots
    assert slot.day > date(2027, 2, 10)
    for n in range((slot.day - ready.ready_on).days):
        day = ready.ready_on + timedelta(days=n)
        assert not (is_working_day(day) and day.weekday() in {0, 2, 4})


def test_overflow_goes_to_the_next_route_day() -> None:
    routes = [route(1, 7, 1, {0, 3})]  # Monday and Thursday
    results = [Ready(i, 1, START) for i in range(1, 6)]
    out = plan(results, routes, {7: 2}, {(7, START): 1}, is_working_day)
    days = [s.day for s in sorted(out.slots, key=lambda s: s.result_id)]
    assert days == [
        START,
        START + timedelta(3),
        START + timedelta(3),
        START + timedelta(7),
        START + timedelta(7),
    ]


def test_a_commune_without_a_route_is_unplaced() -> None:
    out = plan([Ready(1, 9, START)], [route(1, 1, 1, {0})], {1: 3}, {}, is_working_day)
    assert out.slots == [] and out.unplaced == [Ready(1, 9, START)]


@pytest.mark.parametrize(
    ("day", "code"),
    [
        (START + timedelta(days=1), "not_route_day"),  # a Tuesday
        (START + timedelta(days=5), "not_working_day"),  # a Saturday
        (date(2027, 2, 8), "not_working_day"),  # Monday in Tết
        (START - timedelta(days=7), "past"),
    ],
)
def test_a_bad_slot_is_refused(day: date, code: str) -> None:
    with pytest.raises(DomainError) as refused:
        check_slot(day, [route(1, 1, 1, {0})], Ledger({1: 3}, {}), is_working_day, today=START)
    assert refused.value.code == code


def test_a_full_day_is_refused_and_not_offered() -> None:
    routes = [route(1, 1, 1, {0, 2})]
    ledger = Ledger({1: 1}, {(1, START): 1})
    with pytest.raises(DomainError, match="full"):
        check_slot(START, routes, ledger, is_working_day, today=START)
    offered = [d for d, _ in route_days(routes, START, 14, ledger, is_working_day)]
    assert START not in offered
    assert offered == [START + timedelta(2), START + timedelta(7), START + timedelta(9)]
