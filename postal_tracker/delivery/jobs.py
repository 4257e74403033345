"""The delivery jobs the scheduler process (or ``postal-tracker delivery-jobs``)
runs: each claims what it works on, so running it twice does nothing twice."""

from __future__ import annotations

from datetime import date

from sqlalchemy.engine import Engine

from postal_tracker.config import Settings
from postal_tracker.db import transaction
from postal_tracker.delivery.scheduling import schedule_ready_results
from postal_tracker.delivery.service import offer_overdue_holds


def return_overdue_holds(engine: Engine, today: date) -> int:
    """Offer back to their agency the results held past their holding period."""
    with transaction(engine) as session:
        return offer_overdue_holds(session, today)


def run_delivery_jobs(engine: Engine, today: date, settings: Settings) -> tuple[int, int]:
    """(results scheduled, holds offered back)."""
    return schedule_ready_results(engine, today, settings), return_overdue_holds(engine, today)
