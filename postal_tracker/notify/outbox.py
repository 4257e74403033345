"""Queueing notices: one outbox row per medium the citizen can be reached on,
written in the caller's transaction (docs/design.md rule 7), so a notice exists if
and only if the event that causes it was committed."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import select

from postal_tracker.intake.models import Dossier
from postal_tracker.notify.models import Medium, OutboxMessage
from postal_tracker.notify.templates import NoticeError, RenderedNotice, render

__all__ = ["Notice", "NoticeError", "enqueue_notice", "enqueue_notices"]


@dataclass(frozen=True)
class Notice:
    """One notice for :func:`enqueue_notices`: the dossier's id and its
    sender's phone and email (all a notice needs of the dossier)."""

    dossier_id: int
    phone: str
    email: str
    kind: str
    context: Mapping[str, Any]
    dedupe_key: str


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
    _check_key(dedupe_key)
    if dossier.id is None:
        raise NoticeError("the dossier must be flushed before a notice is queued for it")
    rendered = render(kind, context)
    rows = []
    for medium, recipient, subject, body in _wanted(
        dossier.sender_phone, dossier.sender_email, rendered
    ):
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


def enqueue_notices(session: Session, notices: Iterable[Notice]) -> None:
    """Queue many notices at once, as :func:`enqueue_notice` queues one (the
    same rows, the same texts), with one INSERT run over all the rows
    (executemany): for a job that notifies thousands of citizens.

    A key already queued (by an earlier run, a concurrent transaction, or
    earlier in ``notices``) adds nothing: the insert skips rows that would
    break the outbox's unique (medium, dedupe_key) (``ON CONFLICT DO
    NOTHING``), so no look-up or savepoint is needed per notice. Flushes,
    never commits. Every notice is rendered before anything is written, so a
    NoticeError writes nothing.
    """
    notices = list(notices)
    if not notices:
        return
    template = _row_defaults()
    rows: list[dict[str, Any]] = []
    for notice in notices:
        _check_key(notice.dedupe_key)
        rendered = render(notice.kind, notice.context)
        for medium, recipient, subject, body in _wanted(notice.phone, notice.email, rendered):
            rows.append(
                template
                | {
                    "dossier_id": notice.dossier_id,
                    "kind": notice.kind,
                    "medium": medium,
                    "recipient": recipient,
                    "subject": subject,
                    "body": body,
                    "dedupe_key": notice.dedupe_key,
                    "context": dict(notice.context),
                }
            )
    session.flush()
    table = OutboxMessage.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    insert: Any
    if dialect == "postgresql":
        insert = postgresql.insert(table)
    elif dialect == "sqlite":
        insert = sqlite.insert(table)
    else:  # pragma: no cover - SQLite and PostgreSQL are the supported databases
        raise NotImplementedError(f"enqueue_notices on {dialect}")
    insert = insert.on_conflict_do_nothing(index_elements=["medium", "dedupe_key"])
    # A plain executemany: with RETURNING, SQLAlchemy writes one huge multi-row
    # statement that psycopg spends longer parsing than PostgreSQL inserting
    # (and without it psycopg reports no row count, so none is returned).
    session.execute(insert, rows)


def _row_defaults() -> dict[str, Any]:
    """The values a new OutboxMessage has for the columns a notice leaves out
    (status, attempts, times...), taken from the model so they cannot drift."""
    blank = OutboxMessage(
        dossier_id=0, kind="", medium=Medium.SMS, recipient="", body="", dedupe_key=""
    )
    table = OutboxMessage.__table__  # type: ignore[attr-defined]
    return {c.name: getattr(blank, c.name) for c in table.columns if c.name != "id"}


def _check_key(dedupe_key: str) -> None:
    if not dedupe_key or len(dedupe_key) > 200:
        raise NoticeError("dedupe_key must be 1 to 200 characters")


def _wanted(phone: str, email: str, rendered: RenderedNotice) -> list[tuple[Medium, str, str, str]]:
    wanted = [(Medium.SMS, phone, "", rendered.sms_body)]
    if email.strip():
        wanted.append((Medium.EMAIL, email.strip(), rendered.subject, rendered.email_body))
    return wanted


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
