"""Appointment dates, pure: when a result is due, and which dates a clerk may
promise. Dates are Vietnamese calendar days (Asia/Ho_Chi_Minh)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from postal_tracker.workdays import add_working_days, is_working_day

MAX_WORKING_DAYS = 250  # about a year; procedures' legal deadlines are far shorter


class DateRefused(ValueError):
    """A date a clerk may not promise; ``code`` says why (stable, for messages)."""

    def __init__(self, field: str, code: str) -> None:
        super().__init__(f"{field}: {code}")
        self.field = field
        self.code = code


@dataclass(frozen=True)
class AppointmentRequest:
    """Either a number of working days from receipt, or an explicit date."""

    working_days: int | None = None
    due_on: date | None = None


def plan_due_date(request: AppointmentRequest, received_on: date, today: date) -> date:
    """The promised date for ``request``: ``working_days`` counted after the
    day of receipt, or ``due_on`` if it is a working day after today."""
    if request.working_days is not None:
        if not 1 <= request.working_days <= MAX_WORKING_DAYS:
            raise DateRefused("working_days", "range")
        return add_working_days(received_on, request.working_days)
    if request.due_on is None:
        raise DateRefused("working_days", "missing")
    check_promised_date("due_on", request.due_on, today)
    return request.due_on


def check_promised_date(field: str, day: date, today: date, *, after: date | None = None) -> None:
    """A promised date lies in the future, after ``after`` if given, on a working day."""
    if day <= today:
        raise DateRefused(field, "not_future")
    if after is not None and day <= after:
        raise DateRefused(field, "not_after_old")
    if not is_working_day(day):
        raise DateRefused(field, "not_working_day")
