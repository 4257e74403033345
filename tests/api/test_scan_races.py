"""A retry racing its original: the item's lock statement (which also looks for
the client id) may not see an original committed while it waited for the lock
on PostgreSQL. The retry must still get the first answer and write nothing."""

from __future__ import annotations

import threading
import time
from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session
from sqlmodel import func, select

from postal_tracker.custody import ledger
from postal_tracker.custody.ledger import Scan, lock_item, record
from postal_tracker.custody.models import CustodyEvent, Item
from postal_tracker.custody.rules import Actor, EventKind
from postal_tracker.db import transaction

from ..custody.helpers import actor, new_item
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

    def blind(session: Session, who: Any, scan: Scan) -> tuple[Item, int | None, Actor]:
        item, _, actor = real_lock(session, who, scan)
        return item, None, actor

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
