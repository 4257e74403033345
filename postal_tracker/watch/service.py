"""The watch's jobs, each in its own transaction: run every watchdog, raise
what is new, clear what no longer holds; at 17:30 reconcile the postal
workers' bags. Running a job twice raises nothing twice (finding keys)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine

from postal_tracker.clock import VN_TZ
from postal_tracker.config import DEFAULT_LIMITS, Limits
from postal_tracker.db import transaction
from postal_tracker.watch import findings
from postal_tracker.watch.alerts import clear_resolved, close_settled, raise_findings
from postal_tracker.watch.rules import reconciliation_due


@dataclass(frozen=True)
class WatchRun:
    found: int  # findings true now
    raised: int  # new alerts
    cleared: int  # alerts resolved because their finding no longer holds


def run_watchdogs(engine: Engine, now: datetime, limits: Limits = DEFAULT_LIMITS) -> WatchRun:
    """Stalled custody, unconfirmed offers, dossiers past their appointment;
    alerts whose cause went away are closed, naming the event that did it."""
    today = now.astimezone(VN_TZ).date()
    with transaction(engine) as session:
        found = [
            *findings.stalled_custody(session, today, limits),
            *findings.unconfirmed_offers(session, now, limits),
            *findings.past_appointments(session, today),
        ]
        raised = raise_findings(session, found)
        cleared = clear_resolved(session, findings.SELF_CLEARING, {f.key for f in found}, now)
        cleared += close_settled(session, now)
    return WatchRun(len(found), len(raised), cleared)


def run_end_of_day(engine: Engine, now: datetime, *, force: bool = False) -> WatchRun:
    """The 17:30 reconciliation: an alert per postal worker still holding items
    in person. Does nothing before 17:30 or on a day off unless ``force``."""
    local = now.astimezone(VN_TZ)
    if not force and not reconciliation_due(local):
        return WatchRun(0, 0, 0)
    with transaction(engine) as session:
        found = findings.not_in_office(session, local.date())
        raised = raise_findings(session, found)
    return WatchRun(len(found), len(raised), 0)
