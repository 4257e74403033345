"""Alerts for supervisors: raised once per finding, listed by region, resolved
with a note. Alerts are not events: resolving one writes ``resolved_at`` and
``resolved_by_user_id`` on its row, and the note in :class:`AlertResolution`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import col, select

from postal_tracker.auth.models import User
from postal_tracker.auth.roles import Role
from postal_tracker.auth.service import units_of
from postal_tracker.custody.models import Alert, CustodyEvent, Item
from postal_tracker.custody.rules import EventKind
from postal_tracker.db import utcnow
from postal_tracker.errors import N_, DomainError
from postal_tracker.units.models import Unit
from postal_tracker.units.service import units_under
from postal_tracker.watch.findings import OFFER_UNCONFIRMED, STALLED
from postal_tracker.watch.models import AlertResolution
from postal_tracker.watch.rules import Finding
from postal_tracker.workdays import local_date

NOTE_MAX = 1000
CLEARED_NOTE = "Condition cleared (seen by the watchdog)."
CLEARED_BY_ITEM_EVENT = frozenset({STALLED, OFFER_UNCONFIRMED})
# Alerts raised by an event, closed by the first later event on their item of
# these kinds: the missing item received, the disputed item settled.
SETTLED_BY = {
    "manifest_missing": frozenset(
        {
            EventKind.HANDOVER_CONFIRMED,
            EventKind.ARRIVED,
            EventKind.DELIVERED_TO_AGENCY,
            EventKind.RESULT_COLLECTED,
            EventKind.RETURNED_TO_AGENCY,
        }
    ),
    "custody_conflict": frozenset({EventKind.INCIDENT_RESOLVED}),
}
JOB_FAILED = "job_failed"


def raise_findings(session: Session, findings: Iterable[Finding]) -> list[Alert]:
    """An alert for each finding not raised before (open or resolved): the
    finding key is unique, so a second scheduler racing this one adds nothing."""
    findings = list(findings)
    if not findings:
        return []
    known = set(
        session.scalars(
            select(Alert.finding_key).where(col(Alert.finding_key).in_([f.key for f in findings]))
        )
    )
    raised = []
    for finding in findings:
        if finding.key in known:
            continue
        alert = Alert(
            kind=finding.kind,
            unit_id=finding.unit_id,
            item_id=finding.item_id,
            message=finding.message,
            message_id=finding.message_id,
            params=finding.params,
            finding_key=finding.key,
        )
        try:
            # A concurrent run may insert the same key first (PostgreSQL): the
            # savepoint keeps our transaction usable and theirs stands.
            with session.begin_nested():
                session.add(alert)
        except IntegrityError:
            continue
        raised.append(alert)
    return raised


def clear_resolved(
    session: Session, kinds: Iterable[str], still_true: set[str], now: datetime | None = None
) -> int:
    """Resolve the open alerts of ``kinds`` whose finding no longer holds."""
    query = select(Alert).where(
        col(Alert.kind).in_(list(kinds)),
        col(Alert.resolved_at).is_(None),
        col(Alert.finding_key).is_not(None),
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    cleared = 0
    for alert in session.scalars(query):
        if alert.finding_key in still_true:
            continue
        # A stalled item or an offer clears by an event on the item: its newest
        # event when the cause was seen gone (runs are minutes apart). A result
        # arrives on another item: no event is named for it.
        item = session.get(Item, alert.item_id) if alert.item_id is not None else None
        closing = item.head_event_id if item and alert.kind in CLEARED_BY_ITEM_EVENT else None
        _close(session, alert, None, CLEARED_NOTE, now or utcnow(), closing)
        cleared += 1
    session.flush()
    return cleared


def close_settled(session: Session, now: datetime | None = None) -> int:
    """Close the open alerts raised by an event whose cause a later event on
    the same item removed (:data:`SETTLED_BY`), naming that event."""
    cleared = 0
    for kind, settling in SETTLED_BY.items():
        later = (
            select(func.min(CustodyEvent.id))
            .where(
                CustodyEvent.item_id == Alert.item_id,
                col(CustodyEvent.id) > Alert.event_id,
                col(CustodyEvent.kind).in_(settling),
            )
            .correlate(Alert)
            .scalar_subquery()
        )
        query = select(Alert, later).where(
            Alert.kind == kind,
            col(Alert.resolved_at).is_(None),
            col(Alert.event_id).is_not(None),
            later.is_not(None),
        )
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(of=Alert, skip_locked=True)
        for alert, event_id in session.execute(query).all():
            _close(session, alert, None, CLEARED_NOTE, now or utcnow(), event_id)
            cleared += 1
    session.flush()
    return cleared


def _close(
    session: Session,
    alert: Alert,
    user: User | None,
    note: str,
    now: datetime,
    event_id: int | None = None,
) -> None:
    assert alert.id is not None
    alert.resolved_at = now
    alert.resolved_by_user_id = user.id if user else None
    session.add(
        AlertResolution(
            alert_id=alert.id,
            resolved_by_user_id=user.id if user else None,
            note=note,
            resolved_at=now,
            closed_by_event_id=event_id,
        )
    )


def root_units(session: Session) -> list[Unit]:
    return list(
        session.scalars(select(Unit).where(col(Unit.parent_id).is_(None)).order_by(col(Unit.id)))
    )


def job_failed(session: Session, job: str, error: str, now: datetime) -> list[Alert]:
    """A scheduler job failed: an alert for the supervisors of every root unit
    (the province), at most one per job and day however often it fails."""
    day = local_date(now)
    roots: list[Unit | None] = [*root_units(session)] or [None]
    return raise_findings(
        session,
        [
            Finding(
                key=f"{JOB_FAILED}:{job}:{day.isoformat()}:{root.id if root else 0}",
                kind=JOB_FAILED,
                unit_id=root.id if root else None,
                item_id=None,
                message_id=N_("Scheduled job %(job)s failed: %(error)s"),
                params={"job": job, "error": error[:800]},
            )
            for root in roots
        ],
    )


def _region_filter(session: Session, user: User) -> ColumnElement[bool] | None:
    """None when ``user`` may not see alerts at all."""
    if user.role is Role.ADMIN:
        return true()
    if user.role is not Role.SUPERVISOR:
        return None
    unit_ids = [u.id for u in units_under(session, units_of(session, user)) if u.id]
    return col(Alert.unit_id).in_(unit_ids)


def may_see_alerts(session: Session, user: User) -> bool:
    return _region_filter(session, user) is not None


@dataclass(frozen=True)
class AlertRow:
    alert: Alert
    unit_name: str
    tracking_code: str | None
    dossier_id: int | None


def open_alerts(session: Session, user: User, limit: int = 200) -> list[AlertRow]:
    """Open alerts in ``user``'s region, newest first."""
    region = _region_filter(session, user)
    if region is None:
        return []
    rows = session.execute(
        select(Alert, Unit.name, Item.tracking_code, Item.dossier_id)
        .outerjoin(Unit, col(Unit.id) == col(Alert.unit_id))
        .outerjoin(Item, col(Item.id) == col(Alert.item_id))
        .where(col(Alert.resolved_at).is_(None), region)
        .order_by(col(Alert.created_at).desc(), col(Alert.id).desc())
        .limit(limit)
    ).all()
    return [AlertRow(a, name or "", code, dossier) for a, name, code, dossier in rows]


def resolve(session: Session, user: User, alert_id: int, note: str) -> Alert | None:
    """Resolve an open alert in ``user``'s region; None if there is no such
    alert for them (answer 404). Raises :class:`DomainError` for a bad note."""
    region = _region_filter(session, user)
    if region is None:
        return None
    alert = session.scalars(
        select(Alert)
        .where(col(Alert.id) == alert_id, col(Alert.resolved_at).is_(None), region)
        .with_for_update()
    ).first()
    if alert is None:
        return None
    note = note.strip()
    if not note:
        raise DomainError(N_("Say what was done."), field="note", code="required")
    if len(note) > NOTE_MAX:
        raise DomainError(
            N_("Use at most %(max)d characters."), field="note", code="too_long", max=NOTE_MAX
        )
    _close(session, alert, user, note, utcnow())
    session.flush()
    return alert
