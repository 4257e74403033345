"""The relay: sends what the outbox holds, at least once, never twice for one
row while its claim holds.

A sweep (``relay_once``) works in three short steps, none of them holding a
transaction open while talking to the outside world:

1. **Claim** up to ``batch`` due rows in one transaction: ``SELECT ... FOR
   UPDATE SKIP LOCKED`` on PostgreSQL (a second relay skips the rows the first
   is claiming), ``BEGIN IMMEDIATE`` on SQLite (claims queue one after the
   other); set ``claimed_by`` and ``claimed_until``, count the attempt; commit.
   Counting at the claim means a message that kills every relay sending it
   still runs out of attempts and reaches a supervisor.
2. **Send** each row through its channel, with the outbox id as idempotency
   key (``Message-ID: <outbox-<id>@postal-tracker>`` and ``X-Outbox-Id`` on
   email; ``client_ref`` and ``Idempotency-Key`` at the SMS gateway). A relay
   stops sending before its claim runs out and hands the rest back.
3. **Record** each outcome in its own transaction: sent; or the error kept
   and a retry due after an exponential backoff; or, after
   ``notify_max_attempts`` (or a refusal that retrying cannot change), failed
   with an alert for a supervisor.

A relay killed between 2 and 3 leaves its claim to run out; the rows are then
claimed again and re-sent with the same idempotency key, which the receiver
uses to drop the repeat: at least once on the wire, exactly once for a receiver
that deduplicates by key. Nothing is lost, because a row stays pending until a
send was recorded.

The relay reads the time only from its ``clock`` (``utcnow`` unless a test
passes its own), the same clock its claims are written and judged by.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import FrameType

import sqlalchemy as sa
from sqlmodel import col, or_, select, update

from postal_tracker.config import Settings
from postal_tracker.custody.models import Alert
from postal_tracker.db import Clock, transaction, utcnow
from postal_tracker.errors import N_
from postal_tracker.intake.models import Dossier
from postal_tracker.notify.channels import (
    Channel,
    Outgoing,
    SendError,
    build_channels,
    close_channels,
)
from postal_tracker.notify.models import Medium, OutboxMessage, OutboxStatus
from postal_tracker.notify.text import mask_recipient

log = logging.getLogger(__name__)

ALERT_KIND = "notice_failed"


@dataclass
class RelayStats:
    claimed: int = 0
    sent: int = 0
    retried: int = 0  # failed this time, due again later
    failed: int = 0  # given up, alert raised
    released: int = 0  # handed back unsent before the claim ran out

    def add(self, other: RelayStats) -> None:
        for name in ("claimed", "sent", "retried", "failed", "released"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def new_worker_id() -> str:
    """Names a relay in ``claimed_by``: host, process, and a random tail."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def relay_once(
    engine: sa.Engine,
    settings: Settings,
    *,
    batch: int = 50,
    worker_id: str,
    channels: dict[Medium, Channel] | None = None,
    clock: Clock = utcnow,
) -> RelayStats:
    """One sweep: claim up to ``batch`` due messages, send them, record each
    outcome. Channels are built from ``settings`` (ConfigError when they are
    wrong) unless given; given channels are left open for the next sweep."""
    own = channels is None
    active = build_channels(settings) if channels is None else channels
    try:
        return _sweep(engine, settings, batch, worker_id, active, clock)
    finally:
        if own:
            close_channels(active)


def _sweep(
    engine: sa.Engine,
    settings: Settings,
    batch: int,
    worker_id: str,
    channels: dict[Medium, Channel],
    clock: Clock,
) -> RelayStats:
    stats = RelayStats()
    lease = max(1, settings.notify_claim_seconds)
    started = clock()
    claimed, stats.failed = _claim(
        engine, settings, list(channels), batch, worker_id, lease, started
    )
    stats.claimed = len(claimed)
    # Stop sending while a send that hangs until its timeout still ends within
    # the claim: past it another relay may have taken the row over.
    stop_at = started + timedelta(seconds=lease - min(settings.notify_timeout_seconds, lease / 2))
    for index, message in enumerate(claimed):
        if clock() > stop_at:
            stats.released = _release(engine, [m.outbox_id for m in claimed[index:]], worker_id)
            break
        try:
            channels[message.medium].send(message)
        except SendError as exc:
            gave_up = _record_failure(engine, settings, message, worker_id, exc, clock())
            stats.failed += gave_up
            stats.retried += not gave_up
        except Exception as exc:  # a bug or an unexpected library error: retry later
            log.exception("outbox #%s: unexpected error while sending", message.outbox_id)
            gave_up = _record_failure(engine, settings, message, worker_id, exc, clock())
            stats.failed += gave_up
            stats.retried += not gave_up
        else:
            _record_sent(engine, message, worker_id, clock())
            stats.sent += 1
    return stats


def _claim(
    engine: sa.Engine,
    settings: Settings,
    media: list[Medium],
    batch: int,
    worker_id: str,
    lease: int,
    now: datetime,
) -> tuple[list[Outgoing], int]:
    """The messages claimed, and how many were given up instead: their last
    attempt was claimed by a relay that died before recording it."""
    if not media:
        return [], 0
    with transaction(engine) as s:
        rows = s.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.status == OutboxStatus.PENDING,
                col(OutboxMessage.next_attempt_at) <= now,
                or_(
                    col(OutboxMessage.claimed_until).is_(None),
                    col(OutboxMessage.claimed_until) < now,
                ),
                col(OutboxMessage.medium).in_(media),
            )
            .order_by(col(OutboxMessage.id))
            .limit(batch)
            # PostgreSQL: rows another relay is claiming right now are skipped,
            # not waited for. SQLite ignores this; BEGIN IMMEDIATE serialises.
            .with_for_update(skip_locked=True)
        ).all()
        until = now + timedelta(seconds=lease)
        claimed = []
        for row in rows:
            if row.attempts >= settings.notify_max_attempts:
                _give_up(s, row, row.last_error or "the relay stopped while sending it")
                continue
            row.attempts += 1
            row.claimed_by = worker_id
            row.claimed_until = until
            claimed.append(row)
        messages = [
            Outgoing(
                outbox_id=row.id or 0,
                medium=row.medium,
                recipient=row.recipient,
                subject=row.subject,
                body=row.body,
            )
            for row in claimed
        ]
        return messages, len(rows) - len(claimed)


def _mine(outbox_id: int, worker_id: str) -> sa.ColumnElement[bool]:
    return sa.and_(
        col(OutboxMessage.id) == outbox_id,
        col(OutboxMessage.claimed_by) == worker_id,
        col(OutboxMessage.status) == OutboxStatus.PENDING,
    )


def _record_sent(engine: sa.Engine, message: Outgoing, worker_id: str, now: datetime) -> None:
    with transaction(engine) as s:
        done = s.execute(
            update(OutboxMessage)
            .where(_mine(message.outbox_id, worker_id))
            .values(
                status=OutboxStatus.SENT,
                sent_at=now,
                claimed_by=None,
                claimed_until=None,
                last_error="",
            )
        )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        # Our claim ran out and another relay took the row: it will send again
        # with the same idempotency key.
        log.warning("outbox #%s: sent after its claim was lost", message.outbox_id)
    else:
        log.info(
            "outbox #%s: sent by %s to %s",
            message.outbox_id,
            message.medium,
            mask_recipient(message.recipient),
        )


def _record_failure(
    engine: sa.Engine,
    settings: Settings,
    message: Outgoing,
    worker_id: str,
    exc: Exception,
    now: datetime,
) -> bool:
    """Count the attempt; schedule a retry, or give up with an alert. True when
    the message was given up."""
    error = _scrub(
        f"{exc}" if isinstance(exc, SendError) else f"{type(exc).__name__}: {exc}",
        message.recipient,
    )
    permanent = isinstance(exc, SendError) and exc.permanent
    with transaction(engine) as s:
        row = s.scalars(
            select(OutboxMessage).where(_mine(message.outbox_id, worker_id)).with_for_update()
        ).first()
        if row is None:
            log.warning("outbox #%s: failure after its claim was lost", message.outbox_id)
            return False
        row.last_error = error[:500]
        row.claimed_by = None
        row.claimed_until = None
        if permanent or row.attempts >= settings.notify_max_attempts:
            _give_up(s, row, error)
            return True
        delay = retry_delay(settings, row.attempts)
        row.next_attempt_at = now + timedelta(seconds=delay)
        log.warning(
            "outbox #%s: attempt %s failed (%s); next in %ss", row.id, row.attempts, error, delay
        )
        return False


def _give_up(session: sa.orm.Session, row: OutboxMessage, error: str) -> None:
    row.status = OutboxStatus.FAILED
    row.claimed_by = None
    row.claimed_until = None
    session.add(_alert(session, row, error))
    log.error("outbox #%s: given up after %s attempt(s): %s", row.id, row.attempts, error)


def retry_delay(settings: Settings, attempts: int) -> float:
    """Seconds to wait after ``attempts`` failed attempts: doubling, capped."""
    base = max(0, settings.notify_retry_base_seconds)
    return float(min(settings.notify_retry_cap_seconds, base * 2 ** max(0, attempts - 1)))


def _alert(session: sa.orm.Session, row: OutboxMessage, error: str) -> Alert:
    dossier = session.get(Dossier, row.dossier_id)
    code = row.context.get("tracking_code", "")
    return Alert(
        kind=ALERT_KIND,
        unit_id=dossier.intake_unit_id if dossier else None,
        message=(
            f"Notice {row.kind} #{row.id} for {code} by {row.medium} to "
            f"{mask_recipient(row.recipient)} not delivered after {row.attempts} "
            f"attempt(s): {error}"
        )[:1000],
        message_id=N_(
            "Notice #%(id)s for %(code)s by %(medium)s to %(to)s not delivered "
            "after %(attempts)s attempt(s): %(error)s"
        ),
        params={
            "id": str(row.id),
            "code": code,
            "medium": row.medium,
            "to": mask_recipient(row.recipient),
            "attempts": str(row.attempts),
            "error": error[:500],
        },
    )


def _release(engine: sa.Engine, outbox_ids: list[int], worker_id: str) -> int:
    with transaction(engine) as s:
        result = s.execute(
            update(OutboxMessage)
            .where(
                col(OutboxMessage.id).in_(outbox_ids),
                col(OutboxMessage.claimed_by) == worker_id,
            )
            # Handed back unsent: the attempt counted at the claim was not made.
            .values(claimed_by=None, claimed_until=None, attempts=col(OutboxMessage.attempts) - 1)
        )
    count: int = result.rowcount  # type: ignore[attr-defined]
    return count


def _scrub(text: str, recipient: str) -> str:
    """An error text fit for logs and alerts: the recipient masked."""
    return text.replace(recipient, mask_recipient(recipient)) if recipient else text


def relay_due(
    engine: sa.Engine,
    settings: Settings,
    *,
    worker_id: str,
    batch: int = 50,
    channels: dict[Medium, Channel] | None = None,
    max_seconds: float = 60.0,
    clock: Clock = utcnow,
) -> RelayStats:
    """Sweep until nothing is due or ``max_seconds`` have passed, over one set
    of channels (one SMTP connection): the scheduler's job."""
    own = channels is None
    active = build_channels(settings) if channels is None else channels
    total = RelayStats()
    deadline = clock() + timedelta(seconds=max_seconds)
    try:
        while clock() < deadline:
            stats = _sweep(engine, settings, batch, worker_id, active, clock)
            total.add(stats)
            if stats.claimed < batch:
                break
    finally:
        if own:
            close_channels(active)
    return total


def run_relay(
    engine: sa.Engine,
    settings: Settings,
    *,
    once: bool = False,
    interval: float = 5.0,
    batch: int = 50,
    echo: Callable[[str], None] = print,
    clock: Clock = utcnow,
) -> RelayStats:
    """The relay process: sweep until nothing is due (``once``), or for ever,
    sleeping ``interval`` seconds when idle, until SIGTERM or Ctrl+C."""
    worker_id = new_worker_id()
    channels = build_channels(settings)
    total = RelayStats()
    stopping = threading.Event()
    previous = _on_sigterm(stopping)
    echo(f"Relay {worker_id} sending {', '.join(sorted(channels))}.")
    try:
        while not stopping.is_set():
            stats = relay_once(
                engine, settings, batch=batch, worker_id=worker_id, channels=channels, clock=clock
            )
            total.add(stats)
            if stats.claimed:
                echo(
                    f"sent {stats.sent}, retrying {stats.retried}, "
                    f"given up {stats.failed}, handed back {stats.released}"
                )
                continue
            if once:
                break
            stopping.wait(interval)
    except KeyboardInterrupt:
        pass
    finally:
        close_channels(channels)
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    return total


SignalHandler = Callable[[int, FrameType | None], object] | int | None


def _on_sigterm(stopping: threading.Event) -> SignalHandler:
    """Finish the sweep in hand, then stop (only the main thread gets signals)."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def handler(_signum: int, _frame: FrameType | None) -> None:
        stopping.set()

    previous: SignalHandler = signal.signal(signal.SIGTERM, handler)
    return previous
