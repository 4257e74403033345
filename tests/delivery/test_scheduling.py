"""The scheduler job's bulk path: batches, notices queued with their
deliveries, results that cannot be placed, and running it twice or at once."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import col, select

from postal_tracker.config import Settings
from postal_tracker.custody.models import Item
from postal_tracker.db import transaction
from postal_tracker.delivery.links import read_token
from postal_tracker.delivery.models import Delivery, DeliveryStatus, DeliveryWorker
from postal_tracker.delivery.notices import window_text
from postal_tracker.delivery.scheduling import schedule_ready_results
from postal_tracker.intake.models import Dossier
from postal_tracker.notify.models import Medium, OutboxMessage
from postal_tracker.notify.templates import render
from tests.delivery.helpers import returning_result, user

MONDAY = date(2027, 1, 25)
WEDNESDAY = MONDAY + timedelta(days=2)


def results(engine: sa.Engine, n: int, **kw: object) -> list[int]:
    """``n`` results taken by the post; their item ids. The first has an email."""
    ids = []
    with transaction(engine) as s:
        for k in range(n):
            item = returning_result(s, **kw)  # type: ignore[arg-type]
            if k == 0:
                dossier = s.get(Dossier, item.dossier_id)
                assert dossier is not None
                dossier.sender_email = "thao.nguyen@example.vn"
            assert item.id is not None
            ids.append(item.id)
    return ids


def capacity(engine: sa.Engine, worker: str, per_day: int) -> None:
    with transaction(engine) as s:
        row = s.scalars(
            select(DeliveryWorker).where(DeliveryWorker.user_id == user(s, worker).id)
        ).one()
        row.daily_capacity = per_day


def all_deliveries(engine: sa.Engine) -> list[Delivery]:
    with transaction(engine) as s:
        return list(s.scalars(select(Delivery).order_by(col(Delivery.id))))


def scheduled_notices(engine: sa.Engine) -> list[OutboxMessage]:
    with transaction(engine) as s:
        return list(
            s.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.kind == "delivery_scheduled")
                .order_by(col(OutboxMessage.id))
            )
        )


def test_batches_schedule_each_result_once_with_its_notices(
    engine: sa.Engine, settings: Settings, routes: None
) -> None:
    # Two a day on Mon/Wed/Fri, batches of two: the batches' bookings add up.
    capacity(engine, "buuta.vonhai", 2)
    ids = results(engine, 7)
    assert schedule_ready_results(engine, MONDAY, settings, batch=2) == 7
    rows = all_deliveries(engine)
    assert sorted(d.item_id for d in rows) == ids
    assert all(d.status is DeliveryStatus.SCHEDULED and d.attempt == 1 for d in rows)
    per_day = Counter(d.scheduled_on for d in rows)
    assert per_day == {
        MONDAY: 2,
        WEDNESDAY: 2,
        MONDAY + timedelta(days=4): 2,
        MONDAY + timedelta(days=7): 1,
    }
    # The oldest result gets the first day.
    assert min(rows, key=lambda d: d.item_id).scheduled_on == MONDAY
    notices = scheduled_notices(engine)
    assert Counter(n.medium for n in notices) == {Medium.SMS: 7, Medium.EMAIL: 1}
    by_key = {(n.medium, n.dedupe_key): n for n in notices}
    with transaction(engine) as s:
        codes = {i.id: i.tracking_code for i in s.scalars(select(Item))}
    for d in rows:
        assert d.id is not None
        sms = by_key[(Medium.SMS, f"delivery-{d.id}-scheduled")]
        assert sms.dossier_id == d.dossier_id and sms.recipient == "+84912345678"
        link = sms.context["link"]
        assert read_token(settings.secret_key, link.rsplit("/", 1)[1], max_age_seconds=60) == d.id
        context = {
            "tracking_code": codes[d.item_id],
            "date": d.scheduled_on.isoformat(),
            "window": window_text(d.window_start, d.window_end),
            "link": link,
        }
        assert sms.context == context
        # The same text as a notice queued on its own.
        assert sms.body == render("delivery_scheduled", context).sms_body
        assert len(sms.body) <= 160 and sms.body.isascii()
    [email] = [n for n in notices if n.medium is Medium.EMAIL]
    assert email.recipient == "thao.nguyen@example.vn" and "Kết quả hồ sơ" in email.body


def test_scheduling_twice_sends_each_notice_once(
    engine: sa.Engine, settings: Settings, routes: None
) -> None:
    results(engine, 3)
    assert schedule_ready_results(engine, MONDAY, settings, batch=2) == 3
    assert schedule_ready_results(engine, MONDAY, settings, batch=2) == 0
    assert len(all_deliveries(engine)) == 3
    notices = scheduled_notices(engine)
    assert len(notices) == 4  # three SMS, one email
    assert len({(n.medium, n.dedupe_key) for n in notices}) == 4


def test_a_result_whose_commune_has_no_route_is_reported_and_not_lost(
    engine: sa.Engine, settings: Settings, routes: None, caplog: pytest.LogCaptureFixture
) -> None:
    # Trưng Vương has no route; Tràng Xá has. One batch holds both.
    [stranded] = results(engine, 1, office="MC-TRUNGVUONG", intake_user="canbo.trungvuong")
    placed = results(engine, 2)
    with caplog.at_level(logging.WARNING, logger="postal_tracker.delivery.scheduling"):
        assert schedule_ready_results(engine, MONDAY, settings) == 2
    [warning] = [r for r in caplog.records if "not scheduled" in r.getMessage()]
    assert f"item ids: {stranded}" in warning.getMessage()
    assert sorted(d.item_id for d in all_deliveries(engine)) == placed
    assert len(scheduled_notices(engine)) == 3  # SMS for both, an email for the first
    # A route for its commune later: the next run schedules it.
    with transaction(engine) as s:
        from postal_tracker.delivery.routes import RouteInput, check_route, save_route

        save_route(
            s,
            check_route(
                s,
                RouteInput(
                    "buuta.vonhai", "P-TRUNGVUONG", "Tue", "13:00", "16:00", "30", "MC-TRUNGVUONG"
                ),
            ),
        )
    caplog.clear()
    assert schedule_ready_results(engine, MONDAY, settings) == 1
    assert not [r for r in caplog.records if "not scheduled" in r.getMessage()]
    [late] = [d for d in all_deliveries(engine) if d.item_id == stranded]
    assert late.scheduled_on == MONDAY + timedelta(days=1)
    assert len(scheduled_notices(engine)) == 3 + 2  # its SMS and email


def test_results_past_the_horizon_stay_unplaced(
    engine: sa.Engine, settings: Settings, routes: None, caplog: pytest.LogCaptureFixture
) -> None:
    capacity(engine, "buuta.vonhai", 0)
    [item] = results(engine, 1)
    with caplog.at_level(logging.WARNING, logger="postal_tracker.delivery.scheduling"):
        assert schedule_ready_results(engine, MONDAY, settings) == 0
    assert any(f"item ids: {item}" in r.getMessage() for r in caplog.records)
    assert all_deliveries(engine) == [] and scheduled_notices(engine) == []


def test_two_schedulers_at_once_schedule_each_result_once(
    engine: sa.Engine, settings: Settings, routes: None
) -> None:
    results(engine, 12)
    counts: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def run() -> None:
        try:
            start.wait()
            counts.append(schedule_ready_results(engine, MONDAY, settings, batch=3))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(counts) == 12
    rows = all_deliveries(engine)
    assert len(rows) == 12 and len({d.item_id for d in rows}) == 12
    assert len(scheduled_notices(engine)) == 12 + 1
