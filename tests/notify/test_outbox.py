"""Queueing notices: one row per medium, in the caller's transaction, once per key."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlmodel import col, func, select

from postal_tracker.db import transaction
from postal_tracker.intake.models import Dossier
from postal_tracker.notify.models import Medium, OutboxMessage, OutboxStatus
from postal_tracker.notify.outbox import Notice, NoticeError, enqueue_notice, enqueue_notices
from tests.notify.helpers import EMAIL, PHONE, dossier, queue, scheduled


def _count(engine: sa.Engine) -> int:
    with transaction(engine) as s:
        return s.scalar(select(func.count()).select_from(OutboxMessage)) or 0


def test_a_sender_with_email_gets_an_sms_and_an_email(engine: sa.Engine) -> None:
    with transaction(engine) as s:
        d = dossier(s)
        rows = queue(s, d, "delivery_scheduled:1:1")
    with transaction(engine) as s:
        stored = list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.medium)))
    assert [(m.medium, m.recipient) for m in stored] == [
        (Medium.EMAIL, EMAIL),
        (Medium.SMS, PHONE),
    ]
    assert {m.id for m in stored} == {m.id for m in rows}
    email, sms = stored
    assert email.subject == "Lịch giao kết quả hồ sơ HC123456785VN: ngày 03/12/2026"
    assert "giao tận nhà ngày 03/12/2026, trong khung giờ 08:00-11:30" in email.body
    assert "http://localhost/n/AB12CD" in email.body
    assert sms.subject == ""
    assert sms.body == (
        "Ket qua ho so HC123456785VN giao ngay 03/12/2026, 08:00-11:30. "
        "Xac nhan/doi lich: http://localhost/n/AB12CD"
    )
    for m in stored:
        assert m.status == OutboxStatus.PENDING
        assert m.attempts == 0
        assert m.claimed_by is None
        assert m.dossier_id == d.id
        assert m.kind == "delivery_scheduled"
        assert m.context == scheduled()


def test_a_sender_without_email_gets_only_an_sms(engine: sa.Engine) -> None:
    with transaction(engine) as s:
        rows = queue(s, dossier(s, email="  "), "k")
    assert [m.medium for m in rows] == [Medium.SMS]
    assert _count(engine) == 1


def test_the_same_key_queued_again_adds_nothing(engine: sa.Engine) -> None:
    with transaction(engine) as s:
        d = dossier(s)
        first = queue(s, d, "delivery_scheduled:7:1")
        again = queue(s, d, "delivery_scheduled:7:1")
    assert [m.id for m in again] == [m.id for m in first]
    with transaction(engine) as s:
        d2 = s.get(type(d), d.id)
        assert d2 is not None
        # In a later transaction too (a retried job), even with other values.
        later = queue(s, d2, "delivery_scheduled:7:1", date="2026-12-04")
    assert [m.id for m in later] == [m.id for m in first]
    assert _count(engine) == 2
    with transaction(engine) as s:
        queue(s, d2, "delivery_scheduled:7:2")
    assert _count(engine) == 4


def test_the_row_rides_the_transaction_of_its_cause(engine: sa.Engine) -> None:
    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction(engine) as s:
        d = dossier(s)
        assert len(queue(s, d, "k")) == 2
        s.flush()
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 2
        raise Boom
    assert _count(engine) == 0


def test_enqueue_flushes_but_never_commits(engine: sa.Engine) -> None:
    with transaction(engine) as s:
        d = dossier(s)
    with transaction(engine) as s:
        again = s.get(type(d), d.id)
        assert again is not None
        rows = queue(s, again, "k")
        assert all(m.id is not None for m in rows)
        s.rollback()
    assert _count(engine) == 0


@pytest.mark.parametrize(
    ("kind", "context", "message"),
    [
        ("birthday", scheduled(), "unknown notice kind 'birthday'"),
        ("delivery_scheduled", {"tracking_code": "HC123456785VN"}, "date, window, link"),
        ("delivery_scheduled", scheduled(date="3/12/2026"), "date must be a date YYYY-MM-DD"),
        ("delivery_scheduled", scheduled(window="  "), "window is empty"),
        ("delivery_scheduled", scheduled(window=None), "window must be text or a number"),
        ("delivery_scheduled", scheduled(window=True), "window must be text or a number"),
    ],
)
def test_a_bad_notice_is_refused_and_writes_nothing(
    engine: sa.Engine, kind: str, context: dict[str, object], message: str
) -> None:
    with transaction(engine) as s:
        d = dossier(s)
        with pytest.raises(NoticeError, match=message):
            enqueue_notice(s, dossier=d, kind=kind, context=context, dedupe_key="k")
    assert _count(engine) == 0


@pytest.mark.parametrize("key", ["", "x" * 201])
def test_a_bad_dedupe_key_is_refused(engine: sa.Engine, key: str) -> None:
    with transaction(engine) as s:
        d = dossier(s)
        with pytest.raises(NoticeError, match="dedupe_key"):
            queue(s, d, key)
    assert _count(engine) == 0


def test_outbox_rows_are_never_deleted(engine: sa.Engine) -> None:
    with transaction(engine) as s:
        queue(s, dossier(s), "k")
    with pytest.raises(sa.exc.DatabaseError, match="refused"), engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM outbox_message"))
    assert _count(engine) == 2


def _notice(d: Dossier, key: str, **changes: str) -> Notice:
    assert d.id is not None
    return Notice(
        d.id, d.sender_phone, d.sender_email, "delivery_scheduled", scheduled(**changes), key
    )


def test_notices_queued_in_bulk_are_the_rows_queued_one_by_one(engine: sa.Engine) -> None:
    with transaction(engine) as s:
        d = dossier(s)
        one = queue(s, d, "one")
        enqueue_notices(s, [_notice(d, "bulk")])
    with transaction(engine) as s:
        rows = {
            (m.medium, m.dedupe_key): m
            for m in s.scalars(select(OutboxMessage).order_by(col(OutboxMessage.id)))
        }
    for single in one:
        bulk = rows[(single.medium, "bulk")]
        for field in ("dossier_id", "kind", "recipient", "subject", "body", "context", "status"):
            assert getattr(bulk, field) == getattr(single, field), field
        assert bulk.attempts == 0 and bulk.claimed_by is None and bulk.sent_at is None
        assert bulk.next_attempt_at is not None and bulk.created_at is not None


def test_bulk_queuing_skips_keys_already_queued(engine: sa.Engine) -> None:
    with transaction(engine) as s:
        d = dossier(s)
        queue(s, d, "old")
        no_email = dossier(s, email="")
        # Queued before, twice in the list, and new: the new ones only.
        batch = [_notice(d, "old"), _notice(d, "new"), _notice(d, "new"), _notice(no_email, "x")]
        enqueue_notices(s, batch)
    assert _count(engine) == 2 + 2 + 1
    with transaction(engine) as s:
        # A retried job, in a later transaction, even with other values.
        enqueue_notices(s, [_notice(d, "new", date="2026-12-04")])
        enqueue_notices(s, [])
    assert _count(engine) == 2 + 2 + 1
    with transaction(engine) as s:
        [new_sms] = s.scalars(
            select(OutboxMessage).where(
                OutboxMessage.dedupe_key == "new", OutboxMessage.medium == Medium.SMS
            )
        )
        assert "03/12/2026" in new_sms.body


def test_a_bad_notice_in_a_batch_writes_nothing(engine: sa.Engine) -> None:
    with transaction(engine) as s:
        d = dossier(s)
        with pytest.raises(NoticeError, match="date must be a date"):
            enqueue_notices(s, [_notice(d, "a"), _notice(d, "b", date="3/12/2026")])
        with pytest.raises(NoticeError, match="dedupe_key"):
            enqueue_notices(s, [_notice(d, "")])
    assert _count(engine) == 0


def test_bulk_rows_ride_the_transaction_of_their_cause(engine: sa.Engine) -> None:
    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction(engine) as s:
        enqueue_notices(s, [_notice(dossier(s), "k")])
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 2
        raise Boom
    assert _count(engine) == 0
