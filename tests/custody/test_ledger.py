"""The ledger against a real database: idempotency, conflicts, concurrency."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col, func, select

from postal_tracker.auth.roles import Role
from postal_tracker.custody.errors import IdempotencyMismatch, ItemNotFound, Refused
from postal_tracker.custody.ledger import Answer, Scan, record
from postal_tracker.custody.models import Alert, CustodyEvent, Item
from postal_tracker.custody.rules import EventKind, Phase
from postal_tracker.custody.verify import verify_all
from postal_tracker.db import transaction
from postal_tracker.errors import DomainError, Kind

from .helpers import VN, actor, add_user, new_item, scan, unit


def events_with(session: Session, client_id: str) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(CustodyEvent)
            .where(CustodyEvent.client_id == client_id)
        )
        or 0
    )


def total_events(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(CustodyEvent)) or 0


def test_a_retry_gets_the_first_answer_and_writes_nothing(engine: sa.Engine) -> None:
    with transaction(engine) as s:
        item = new_item(s)
        officer = actor(s, "canbo.trangxa")
        offer = scan(item, EventKind.HANDOVER_OFFERED, receiver_unit_id=unit(s, "BD-VONHAI").id)
        first = record(s, officer, offer)
    with transaction(engine) as s:
        again = record(s, actor(s, "canbo.trangxa"), offer)
        assert again.replayed and not again.conflict and not first.replayed
        assert again.body == first.body
        assert events_with(s, offer.client_id) == 1


def test_same_client_id_other_content_is_refused(engine: sa.Engine) -> None:
    with transaction(engine) as s:
        item = new_item(s)
        officer = actor(s, "canbo.trangxa")
        offer = scan(item, EventKind.HANDOVER_OFFERED, receiver_unit_id=unit(s, "BD-VONHAI").id)
        record(s, officer, offer)
        before = total_events(s)
    with transaction(engine) as s:
        altered = Scan(**{**offer.__dict__, "receiver_unit_id": unit(s, "BD-DONGHY").id})
        with pytest.raises(IdempotencyMismatch) as err:
            record(s, actor(s, "canbo.trangxa"), altered)
        assert err.value.kind is Kind.INVALID
        assert total_events(s) == before
    # Another person replaying someone's client id is other content too.
    with transaction(engine) as s, pytest.raises(IdempotencyMismatch):
        record(s, actor(s, "buuta.vonhai"), offer)


def _concurrently(n: int, work: Callable[[int], Any]) -> list[Any]:
    barrier = threading.Barrier(n)

    def run(i: int) -> Any:
        barrier.wait()
        try:
            return work(i)
        except Exception as exc:  # collected and asserted on by the caller
            return exc

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


def test_fifty_identical_concurrent_appends_make_one_event(engine: sa.Engine) -> None:
    with transaction(engine) as s:
        item = new_item(s)
        officer = actor(s, "canbo.trangxa")
        offer = scan(item, EventKind.HANDOVER_OFFERED, receiver_unit_id=unit(s, "BD-VONHAI").id)

    def send(_: int) -> Answer:
        with transaction(engine) as s:
            return record(s, officer, offer)

    answers = _concurrently(50, send)
    assert all(isinstance(a, Answer) for a in answers), [
        a for a in answers if not isinstance(a, Answer)
    ]
    assert sum(not a.replayed for a in answers) == 1
    assert not any(a.conflict for a in answers)
    assert all(a.body == answers[0].body for a in answers)
    with transaction(engine) as s:
        assert events_with(s, offer.client_id) == 1
        stored = s.get(Item, item.id)
        assert stored is not None and stored.event_count == 2  # accepted + offered


def test_racing_writers_of_one_item_keep_one_unbroken_chain(engine: sa.Engine) -> None:
    with transaction(engine) as s:
        item = new_item(s)
        officer = actor(s, "canbo.trangxa")

    def send(i: int) -> Answer:
        with transaction(engine) as s:
            kind = EventKind.DEPARTED if i % 2 else EventKind.ARRIVED
            return record(s, officer, scan(item, kind))

    answers = _concurrently(20, send)
    assert all(isinstance(a, Answer) for a in answers), answers
    # A scan that lands right after one of its own kind by the same person is
    # that act again (rules.repeat_of): it gets that event's answer.
    written = [a for a in answers if not a.replayed]
    assert len(written) >= 2  # at least one of each kind
    assert {a.event_id for a in answers} == {a.event_id for a in written}
    with transaction(engine) as s:
        stored = s.get(Item, item.id)
        assert stored is not None and stored.event_count == 1 + len(written)
        assert list(verify_all(s)) == []


def test_two_receivers_confirm_at_once_one_wins_the_item_is_disputed_not_lost(
    engine: sa.Engine,
) -> None:
    with transaction(engine) as s:
        add_user(s, "buuta.vonhai2", Role.POSTAL_WORKER, "BD-VONHAI")
        item = new_item(s)
        offer = record(
            s,
            actor(s, "canbo.trangxa"),
            scan(item, EventKind.HANDOVER_OFFERED, receiver_unit_id=unit(s, "BD-VONHAI").id),
        )
        receivers = [actor(s, "buuta.vonhai"), actor(s, "buuta.vonhai2")]
    offer_id = offer.body["event"]["id"]

    def confirm(i: int) -> Answer:
        with transaction(engine) as s:
            return record(
                s, receivers[i], scan(item, EventKind.HANDOVER_CONFIRMED, follows=offer_id)
            )

    answers = _concurrently(2, confirm)
    assert sorted(a.conflict for a in answers) == [False, True]
    winner = next(a for a in answers if not a.conflict)
    loser = next(a for a in answers if a.conflict)
    assert loser.body["error"]["code"] == "conflict"
    assert (
        loser.body["error"]["current_custodian"]["user_id"]
        == winner.body["item"]["custodian_user_id"]
    )
    with transaction(engine) as s:
        fresh = s.get(Item, item.id)
        assert fresh is not None
        assert fresh.custodian_user_id == winner.body["item"]["custodian_user_id"]
        assert fresh.disputed and fresh.phase is Phase.IN_TRANSIT
        kinds = [
            e.kind
            for e in s.scalars(
                select(CustodyEvent)
                .where(CustodyEvent.item_id == item.id)
                .order_by(col(CustodyEvent.seq))
            )
        ]
        assert kinds == [
            EventKind.ACCEPTED,
            EventKind.HANDOVER_OFFERED,
            EventKind.HANDOVER_CONFIRMED,
            EventKind.CONFLICT,
        ]
        assert (
            s.scalars(select(Alert).where(Alert.item_id == item.id)).one().kind
            == "custody_conflict"
        )


def test_a_conflict_retried_gets_the_same_409(engine: sa.Engine) -> None:
    with transaction(engine) as s:
        item = new_item(s)
        stale = scan(item, EventKind.DEPARTED, follows=999_999)
        first = record(s, actor(s, "canbo.trangxa"), stale)
        assert first.conflict
    with transaction(engine) as s:
        again = record(s, actor(s, "canbo.trangxa"), stale)
        assert again.replayed and again.conflict and again.body == first.body


def test_refusals_write_nothing(engine: sa.Engine) -> None:
    with transaction(engine) as s:
        item = new_item(s)
        before = total_events(s)
    with transaction(engine) as s, pytest.raises(Refused) as err:
        # The postal worker does not hold the item.
        record(s, actor(s, "buuta.vonhai"), scan(item, EventKind.DEPARTED))
    assert err.value.code == "not_custodian"
    with transaction(engine) as s, pytest.raises(ItemNotFound):
        record(s, actor(s, "buuta.vonhai"), scan("HC000000019VN", EventKind.DEPARTED))
    with transaction(engine) as s, pytest.raises(DomainError) as refused:
        future = datetime.now(VN) + timedelta(hours=2)
        record(s, actor(s, "canbo.trangxa"), scan(item, EventKind.DEPARTED, device_time=future))
    # The one device-clock rule (postal_tracker.clock), as on every page.
    assert refused.value.code == "device_time" and refused.value.field == "device_time"
    with transaction(engine) as s:
        assert total_events(s) == before


def test_two_clocks_are_kept(engine: sa.Engine) -> None:
    offline_time = datetime.now(VN) - timedelta(hours=5)
    with transaction(engine) as s:
        item = new_item(s)
        answer = record(
            s, actor(s, "canbo.trangxa"), scan(item, EventKind.DEPARTED, device_time=offline_time)
        )
    with transaction(engine) as s:
        event = s.get(CustodyEvent, answer.event_id)
        assert event is not None
        assert event.device_time == offline_time
        assert event.device_utc_offset_min == 420
        assert event.server_time - event.device_time > timedelta(hours=4)
