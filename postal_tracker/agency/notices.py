"""Notices to the citizen, written to the outbox in the caller's transaction
(docs/design.md rule 7): the agency's one door to ``postal_tracker.notify``."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from postal_tracker.intake.models import Dossier
from postal_tracker.notify.outbox import enqueue_notice


def notify_citizen(
    session: Session, dossier: Dossier, kind: str, context: dict[str, Any], *, dedupe_key: str
) -> None:
    enqueue_notice(session, dossier=dossier, kind=kind, context=context, dedupe_key=dedupe_key)
