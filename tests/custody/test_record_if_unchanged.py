"""PostgreSQL: a scan recorded without a lock, by one statement that writes
only if the item recorded no event since it was read."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from sqlmodel import select

from postal_tracker import pg_direct
from postal_tracker.custody.ledger import (
    READ_FOR_SCAN,
    Scan,
    item_from_rows,
    record,
    record_if_unchanged,
)
from postal_tracker.custody.models import CustodyEvent, Item
from postal_tracker.custody.rules import Actor, EventKind, Phase
from postal_tracker.custody.verify import verify_all
from postal_tracker.db import transaction

from .helpers import actor, new_item, scan, unit
from .test_ledger import events_with

_READ = pg_direct.Statement(READ_FOR_SCAN)


@pytest.fixture
def autocommit(pg_only: None, engine: sa.Engine) -> Iterator[sa.Connection]:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        yield connection


def _read(connection: sa.Connection, s: Scan) -> Item:
    params = {"code": s.tracking_code, "client_id": s.client_id}
    item, replayed = item_from_rows(pg_direct.execute(connection, _READ, params))
    assert not replayed
    return item


def _officer_and_item(engine: sa.Engine) -> tuple[Actor, str]:
    with transaction(engine) as s:
        return actor(s, "canbo.trangxa"), new_item(s).tracking_code


def test_an_accepted_scan_is_written_with_its_projection_and_answer(
    engine: sa.Engine, autocommit: sa.Connection
) -> None:
    officer, code = _officer_and_item(engine)
    departed = scan(code, EventKind.DEPARTED)
    answer = record_if_unchanged(autocommit, officer, departed, _read(autocommit, departed))
    assert answer is not None and answer.status == 201 and not answer.replayed
    with transaction(engine) as s:  # committed: another connection sees it
        item = s.scalars(select(Item).where(Item.tracking_code == code)).one()
        event = s.get(CustodyEvent, answer.event_id)
        assert event is not None and event.client_id == departed.client_id
        assert item.head_event_id == event.id and item.head_hash == event.hash
        assert item.event_count == event.seq == 2 and item.phase is Phase.ACCEPTED
        assert answer.body["event"]["hash"] == event.hash
        assert list(verify_all(s)) == []
        # A retry of it, the locked way, gets the same answer.
        again = record(s, officer, departed)
        assert again.replayed and again.body == answer.body


def test_nothing_is_written_if_the_item_moved_since_it_was_read(
    engine: sa.Engine, autocommit: sa.Connection
) -> None:
    officer, code = _officer_and_item(engine)
    late = scan(code, EventKind.ARRIVED)
    stale = _read(autocommit, late)
    with transaction(engine) as s:  # meanwhile, another scan of the item
        record(s, officer, scan(code, EventKind.DEPARTED))
    assert record_if_unchanged(autocommit, officer, late, stale) is None
    with transaction(engine) as s:
        assert events_with(s, late.client_id) == 0
        item = s.scalars(select(Item).where(Item.tracking_code == code)).one()
        assert item.event_count == 2
        assert list(verify_all(s)) == []


def test_what_is_not_plainly_accepted_is_left_to_the_locked_way(
    engine: sa.Engine, autocommit: sa.Connection
) -> None:
    officer, code = _officer_and_item(engine)
    with transaction(engine) as s:
        stranger = actor(s, "buuta.vonhai")
        receiver = unit(s, "BD-VONHAI").id
    # A refusal (the receiver confirms what was never offered) and a scan
    # naming an offer that is not the item's head: neither is written here.
    confirm = scan(code, EventKind.HANDOVER_CONFIRMED)
    follows_old = scan(code, EventKind.HANDOVER_OFFERED, receiver_unit_id=receiver, follows=1)
    for attempt, by in ((confirm, stranger), (follows_old, officer)):
        assert record_if_unchanged(autocommit, by, attempt, _read(autocommit, attempt)) is None
        with transaction(engine) as s:
            assert events_with(s, attempt.client_id) == 0


def test_a_client_id_taken_meanwhile_writes_nothing(
    engine: sa.Engine, autocommit: sa.Connection
) -> None:
    officer, code = _officer_and_item(engine)
    _, other = _officer_and_item(engine)
    first = scan(other, EventKind.DEPARTED)
    reused = scan(code, EventKind.DEPARTED, client_id=first.client_id)
    item = _read(autocommit, reused)
    with transaction(engine) as s:
        record(s, officer, first)
    assert record_if_unchanged(autocommit, officer, reused, item) is None
    with transaction(engine) as s:
        assert s.scalars(select(Item).where(Item.tracking_code == code)).one().event_count == 1


def test_racing_writers_of_one_item_keep_one_unbroken_chain(
    engine: sa.Engine, pg_only: None
) -> None:
    officer, code = _officer_and_item(engine)

    def attempt(i: int) -> bool:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            s = scan(code, EventKind.DEPARTED if i % 2 else EventKind.ARRIVED)
            return record_if_unchanged(connection, officer, s, _read(connection, s)) is not None

    with ThreadPoolExecutor(8) as pool:
        written = sum(pool.map(attempt, range(40)))
    assert written >= 1
    with transaction(engine) as s:
        item = s.scalars(select(Item).where(Item.tracking_code == code)).one()
        assert item.event_count == 1 + written
        assert list(verify_all(s)) == []
