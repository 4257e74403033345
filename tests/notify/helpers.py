"""Building blocks for notice tests: a dossier to notify, notices to queue."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from postal_tracker.db import utcnow
from postal_tracker.intake.models import Dossier
from postal_tracker.notify.models import OutboxMessage
from postal_tracker.notify.outbox import enqueue_notice
from tests.custody.helpers import new_item

PHONE = "+84912345678"
EMAIL = "thao.nguyen@example.vn"


def dossier(session: Session, *, email: str = EMAIL) -> Dossier:
    """A freshly taken-in dossier whose sender gave ``email`` (may be empty)."""
    item = new_item(session)
    found = session.get(Dossier, item.dossier_id)
    assert found is not None
    found.sender_email = email
    session.flush()
    return found


def scheduled(code: str = "HC123456785VN", **changes: Any) -> dict[str, Any]:
    return {
        "tracking_code": code,
        "date": "2026-12-03",
        "window": "08:00-11:30",
        "link": "http://localhost/n/AB12CD",
        **changes,
    }


def queue(session: Session, d: Dossier, key: str, **changes: Any) -> list[OutboxMessage]:
    return enqueue_notice(
        session,
        dossier=d,
        kind="delivery_scheduled",
        context=scheduled(**changes),
        dedupe_key=key,
    )


class Clock:
    """A clock that moves only when the test moves it: ``clock()`` is now."""

    def __init__(self) -> None:
        self.now: datetime = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
