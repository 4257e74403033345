"""Notices to the citizen, written to the outbox in the caller's transaction
(docs/design.md rule 7): delivery's one door to ``postal_tracker.notify``."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, time
from typing import Any

from sqlalchemy.orm import Session

from postal_tracker.delivery.models import FailureReason
from postal_tracker.intake.models import Dossier
from postal_tracker.notify.outbox import Notice, enqueue_notice, enqueue_notices

__all__ = ["Notice", "notify_citizen", "notify_citizens"]


def notify_citizen(
    session: Session, dossier: Dossier, kind: str, context: dict[str, Any], *, dedupe_key: str
) -> None:
    """Queue a notice to the dossier's sender."""
    enqueue_notice(session, dossier=dossier, kind=kind, context=context, dedupe_key=dedupe_key)


def notify_citizens(session: Session, notices: Iterable[Notice]) -> None:
    """Queue many notices in one go (a job's batch)."""
    enqueue_notices(session, notices)


# Notices are in Vietnamese whatever the worker's page language was.
REASON_TEXT = {
    FailureReason.NOT_HOME: "không có người nhận tại nhà",
    FailureReason.WRONG_ADDRESS: "địa chỉ không đúng",
    FailureReason.REFUSED: "người nhận từ chối nhận",
    FailureReason.MOVED: "người nhận đã chuyển đi",
    FailureReason.UNREACHABLE: "không liên lạc được hoặc không đến được",
    FailureReason.OTHER: "lý do khác",
}


def vn_date(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def window_text(start: time, end: time) -> str:
    return f"{start:%H:%M}–{end:%H:%M}"
