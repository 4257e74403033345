"""A retry racing its original: the item's lock statement (which also looks for
the client id) may not see an original committed while it waited for the lock
on PostgreSQL. The retry must still get the first answer and write nothing."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session
from sqlmodel import col, func, select

from postal_tracker.auth.roles import Role
from postal_tracker.custody import ledger
from postal_tracker.custody.ledger import Scan, lock_item, record
from postal_tracker.custody.models import Alert, CustodyEvent, Item
from postal_tracker.custody.rules import Actor, EventKind, Head
from postal_tracker.db import transaction

from ..custody.helpers import actor, add_user, new_item
from ..delivery.test_service import events
from .test_api import auth, scan_body, token_for


@pytest.fixture
def item_code(app: Flask) -> str:
    with transaction(app.extensions["db_engine"]) as s:
        return new_item(s).tracking_code


def _events_with(app: Flask, client_id: str) -> int:
    with transaction(app.extensions["db_engine"]) as s:
        return int(
            s.scalar(
                select(func.count())
                .select_from(CustodyEvent)
                .where(CustodyEvent.client_id == client_id)
            )
            or 0
        )


@pytest.fixture
def blind_lock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The lock statement misses every earlier event, as on PostgreSQL it misses
    one committed while it waited for the lock."""

    real_lock = ledger._lock

    def blind(
        session: Session, who: Any, scan: Scan
    ) -> tuple[Item, int | None, Head | None, Actor]:
        item, _, head, actor = real_lock(session, who, scan)
        return item, None, head, actor

    monkeypatch.setattr(ledger, "_lock", blind)


def test_a_missed_original_makes_the_insert_skip_and_the_retry_gets_its_answer(
    app: Flask, item_code: str, blind_lock: None
) -> None:
    client = app.test_client()
    officer = token_for(client, "canbo.trangxa")
    body = scan_body(item_code, "departed")
    first = client.post("/api/v1/scans", json=body, headers=auth(officer))
    assert first.status_code == 201, first.get_json()
    retry = client.post("/api/v1/scans", json=body, headers=auth(officer))
    assert retry.status_code == 200 and retry.headers["Idempotent-Replay"] == "true"
    assert retry.get_json() == first.get_json()
    changed = client.post("/api/v1/scans", json={**body, "note": "x"}, headers=auth(officer))
    assert changed.status_code == 422
    assert _events_with(app, body["client_id"]) == 1


def test_a_missed_original_that_the_rules_would_now_refuse_still_gets_its_answer(
    app: Flask, item_code: str, blind_lock: None
) -> None:
    client = app.test_client()
    officer = token_for(client, "canbo.trangxa")
    worker = token_for(client, "buuta.vonhai")
    offer = scan_body(item_code, "handover_offered", receiver={"unit_code": "BD-VONHAI"})
    first = client.post("/api/v1/scans", json=offer, headers=auth(officer))
    assert first.status_code == 201, first.get_json()
    confirm = scan_body(item_code, "handover_confirmed", follows=first.get_json()["event"]["id"])
    assert client.post("/api/v1/scans", json=confirm, headers=auth(worker)).status_code == 201
    # The officer no longer holds the item: offering it again is refused by the
    # rules, but this is a retry of the first offer, which gets its answer.
    retry = client.post("/api/v1/scans", json=offer, headers=auth(officer))
    assert retry.status_code == 200, retry.get_json()
    assert retry.get_json() == first.get_json()
    assert _events_with(app, offer["client_id"]) == 1


def _wait_for_lock_waiter(engine: sa.Engine, waiter: threading.Thread, answers: list[Any]) -> None:
    deadline = time.monotonic() + 30
    with engine.connect() as conn:
        while time.monotonic() < deadline:
            # A retry that never reached the lock has something to say.
            assert waiter.is_alive(), f"the retry ended without waiting: {answers}"
            waiting = conn.execute(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            ).scalar_one()
            if waiting:
                return
            time.sleep(0.02)
    raise AssertionError("the retry never waited for the item's lock")


def test_a_retry_waiting_for_the_lock_while_its_original_commits(
    pg_only: None, app: Flask, item_code: str
) -> None:
    """The real race on PostgreSQL, without any stand-in."""
    engine: sa.Engine = app.extensions["db_engine"]
    client = app.test_client()
    officer = token_for(client, "canbo.trangxa")
    body = scan_body(item_code, "arrived")
    answers: list[Any] = []

    def retry() -> None:
        try:
            r = app.test_client().post("/api/v1/scans", json=body, headers=auth(officer))
        except Exception as exc:  # said by the assertions below, not lost in the thread
            answers.append(("raised", repr(exc)))
            raise
        answers.append((r.status_code, r.get_json()))

    with transaction(engine) as s:
        lock_item(s, item_code)  # the original holds the item's lock...
        waiter = threading.Thread(target=retry)
        waiter.start()
        _wait_for_lock_waiter(engine, waiter, answers)  # ...while the retry waits for it
        original = record(
            s,
            actor(s, "canbo.trangxa"),
            Scan(
                client_id=body["client_id"],
                tracking_code=item_code,
                kind=EventKind.ARRIVED,
                device_time=datetime.fromisoformat(body["device_time"]),
            ),
        )
    waiter.join(timeout=60)
    assert answers, "the retry did not finish"
    status, answer = answers[0]
    assert status == 200, answer
    assert answer["event"]["id"] == original.event_id
    assert answer == original.body
    assert _events_with(app, body["client_id"]) == 1


def test_a_client_id_taken_meanwhile_for_another_item_writes_nothing(
    app: Flask, item_code: str, blind_lock: None
) -> None:
    engine: sa.Engine = app.extensions["db_engine"]
    with transaction(engine) as s:
        other = new_item(s).tracking_code
    client = app.test_client()
    officer = token_for(client, "canbo.trangxa")
    first = scan_body(other, "departed")
    assert client.post("/api/v1/scans", json=first, headers=auth(officer)).status_code == 201
    reused = {**scan_body(item_code, "departed"), "client_id": first["client_id"]}
    r = client.post("/api/v1/scans", json=reused, headers=auth(officer))
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "client_id_reused"
    with transaction(engine) as s:
        item = s.scalars(select(Item).where(Item.tracking_code == item_code)).one()
        assert item.event_count == 1
    assert _events_with(app, first["client_id"]) == 1


# The same act twice is one fact: decided by content (rules.repeat_of), so two
# client ids for one act (a double tap, a retry after a reload) are one event.


def _item_events(app: Flask, code: str) -> list[CustodyEvent]:
    return events(app.extensions["db_engine"], code)


def _twice(app: Flask, token: str, bodies: list[dict[str, Any]], at_once: bool) -> list[Any]:
    """``bodies`` posted by one device, both at once (two threads) or one after the other."""
    barrier = threading.Barrier(2)

    def post(body: dict[str, Any]) -> Any:
        client = app.test_client()
        if at_once:
            barrier.wait()
        return client.post("/api/v1/scans", json=body, headers=auth(token))

    if not at_once:
        return [post(b) for b in bodies]
    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(post, bodies))


def _offered(app: Flask, code: str) -> int:
    client = app.test_client()
    officer = token_for(client, "canbo.trangxa")
    offer = scan_body(code, "handover_offered", receiver={"unit_code": "BD-VONHAI"})
    r = client.post("/api/v1/scans", json=offer, headers=auth(officer))
    assert r.status_code == 201, r.get_json()
    return int(r.get_json()["event"]["id"])


@pytest.mark.parametrize("at_once", [False, True], ids=["one_after_the_other", "at_once"])
def test_a_double_tap_on_confirm_is_one_confirmation(
    app: Flask, item_code: str, at_once: bool
) -> None:
    offer_id = _offered(app, item_code)
    worker = token_for(app.test_client(), "buuta.vonhai")
    taps = [scan_body(item_code, "handover_confirmed", follows=offer_id) for _ in range(2)]
    answers = _twice(app, worker, taps, at_once)
    statuses = sorted(r.status_code for r in answers)
    assert statuses == [200, 201], [r.get_json() for r in answers]
    first = next(r for r in answers if r.status_code == 201)
    replay = next(r for r in answers if r.status_code == 200)
    assert replay.headers["Idempotent-Replay"] == "true"
    assert replay.get_json() == first.get_json()
    assert not first.get_json()["item"]["disputed"]
    events = _item_events(app, item_code)
    assert [e.kind for e in events] == ["accepted", "handover_offered", "handover_confirmed"]
    with transaction(app.extensions["db_engine"]) as s:
        alerts = select(func.count()).where(col(Alert.item_id) == events[0].item_id)
        assert s.scalar(alerts) == 0
    # A retry after a reload (a third client id, following what the page now
    # shows) is the same confirmation too.
    reload = scan_body(item_code, "handover_confirmed", follows=first.get_json()["event"]["id"])
    again = app.test_client().post("/api/v1/scans", json=reload, headers=auth(worker))
    assert again.status_code == 200 and again.get_json() == first.get_json()
    assert len(_item_events(app, item_code)) == 3


@pytest.mark.parametrize("at_once", [False, True], ids=["one_after_the_other", "at_once"])
def test_arriving_twice_is_one_arrival(app: Flask, item_code: str, at_once: bool) -> None:
    officer = token_for(app.test_client(), "canbo.trangxa")
    head = _item_events(app, item_code)[-1].id
    scans = [scan_body(item_code, "arrived", follows=head) for _ in range(2)]
    answers = _twice(app, officer, scans, at_once)
    assert sorted(r.status_code for r in answers) == [200, 201], [r.get_json() for r in answers]
    assert answers[0].get_json() == answers[1].get_json()
    assert [e.kind for e in _item_events(app, item_code)] == ["accepted", "arrived"]
    # Leaving, then arriving again, is a new fact.
    left = scan_body(item_code, "departed")
    assert (
        app.test_client().post("/api/v1/scans", json=left, headers=auth(officer)).status_code == 201
    )
    back = scan_body(item_code, "arrived")
    assert (
        app.test_client().post("/api/v1/scans", json=back, headers=auth(officer)).status_code == 201
    )
    assert len(_item_events(app, item_code)) == 4


def test_two_people_confirming_one_offer_is_still_a_dispute(app: Flask, item_code: str) -> None:
    with transaction(app.extensions["db_engine"]) as s:
        add_user(s, "buuta.vonhai2", Role.POSTAL_WORKER, "BD-VONHAI")
    offer_id = _offered(app, item_code)
    client = app.test_client()
    first = token_for(client, "buuta.vonhai")
    second = token_for(client, "buuta.vonhai2", "x" * 12)
    confirm = scan_body(item_code, "handover_confirmed", follows=offer_id)
    assert client.post("/api/v1/scans", json=confirm, headers=auth(first)).status_code == 201
    other = scan_body(item_code, "handover_confirmed", follows=offer_id)
    r = client.post("/api/v1/scans", json=other, headers=auth(second))
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "conflict"
    assert _item_events(app, item_code)[-1].kind == "conflict"
