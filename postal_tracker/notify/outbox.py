"""Queueing notices: one outbox row per medium the citizen can be reached on,
written in the caller's transaction (DESIGN.md rule 7), so a notice exists if
and only if the event that causes it was committed."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import select

from postal_tracker.intake.models import Dossier
from postal_tracker.notify.models import Medium, OutboxMessage
from postal_tracker.notify.templates import NoticeError, render

__all__ = ["NoticeError", "enqueue_notice"]


def enqueue_notice(
    session: Session,
    *,
    dossier: Dossier,
    kind: str,
    context: dict[str, Any],
    dedupe_key: str,
) -> list[OutboxMessage]:
    """Queue notice ``kind`` to the sender of ``dossier``: an SMS to their phone,
    and an email when they gave an address. Flushes, never commits.

    The texts are rendered now and stored, so a template change never alters a
    queued message. ``dedupe_key`` names the cause (e.g.
    ``delivery_scheduled:<delivery id>:<attempt>``); queuing the same key again
    returns the rows already queued instead of adding new ones.

    Raises NoticeError for an unknown kind or a bad context (nothing written).
    """
    if not dedupe_key or len(dedupe_key) > 200:
        raise NoticeError("dedupe_key must be 1 to 200 characters")
    if dossier.id is None:
        raise NoticeError("the dossier must be flushed before a notice is queued for it")
    rendered = render(kind, context)
    wanted: list[tuple[Medium, str, str, str]] = [
        (Medium.SMS, dossier.sender_phone, "", rendered.sms_body)
    ]
    if dossier.sender_email.strip():
        wanted.append(
            (Medium.EMAIL, dossier.sender_email.strip(), rendered.subject, rendered.email_body)
        )
    rows = []
    for medium, recipient, subject, body in wanted:
        message = OutboxMessage(
            dossier_id=dossier.id,
            kind=kind,
            medium=medium,
            recipient=recipient,
            subject=subject,
            body=body,
            dedupe_key=dedupe_key,
            context=dict(context),
        )
        rows.append(_add_once(session, message))
    return rows


def _add_once(session: Session, message: OutboxMessage) -> OutboxMessage:
    existing = _find(session, message.medium, message.dedupe_key)
    if existing is not None:
        return existing
    # A concurrent transaction may queue the same key between the look-up and
    # the insert (PostgreSQL): the savepoint keeps the caller's transaction
    # usable, and the row it committed is the one to return.
    try:
        with session.begin_nested():
            session.add(message)
    except IntegrityError:
        existing = _find(session, message.medium, message.dedupe_key)
        if existing is None:
            raise
        return existing
    return message


def _find(session: Session, medium: Medium, dedupe_key: str) -> OutboxMessage | None:
    return session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.medium == medium, OutboxMessage.dedupe_key == dedupe_key
        )
    ).first()
