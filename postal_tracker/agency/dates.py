"""Appointment dates, pure: when a result is due, and which dates a clerk may
promise. Dates are Vietnamese calendar days (Asia/Ho_Chi_Minh)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from postal_tracker.errors import N_, DomainError
from postal_tracker.workdays import add_working_days, is_working_day

MAX_WORKING_DAYS = 250  # about a year; procedures' legal deadlines are far shorter


# A date in the past, said of the field that holds it.
_NOT_FUTURE = {
    "due_on": N_("The appointment date must be after today."),
    "new_date": N_("The new date must be after today."),
}
_NOT_WORKING_DAY = N_("This is a weekend day or a public holiday; choose a working day.")


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
            raise DomainError(
                N_("Enter a whole number of working days from 1 to 250."),
                field="working_days",
                code="range",
            )
        return add_working_days(received_on, request.working_days)
    if request.due_on is None:
        raise DomainError(
            N_("Choose how to set the appointment date."), field="working_days", code="missing"
        )
    check_promised_date("due_on", request.due_on, today)
    return request.due_on


def check_promised_date(field: str, day: date, today: date, *, after: date | None = None) -> None:
    """A promised date lies in the future, after ``after`` if given, on a working day
    (``field`` is ``due_on`` or ``new_date``)."""
    if day <= today:
        raise DomainError(_NOT_FUTURE[field], field=field, code="not_future")
    if after is not None and day <= after:
        raise DomainError(
            N_("The new date must be after the previous appointment date."),
            field=field,
            code="not_after_old",
        )
    if not is_working_day(day):
        raise DomainError(_NOT_WORKING_DAY, field=field, code="not_working_day")
