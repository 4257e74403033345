"""Appointment dates in working days, across weekends and Tết."""

from __future__ import annotations

from datetime import date

import pytest

from postal_tracker.agency.dates import (
    AppointmentRequest,
    check_promised_date,
    plan_due_date,
)
from postal_tracker.errors import DomainError


def test_five_working_days_from_before_tet_2027_skip_the_whole_holiday() -> None:
    # Wed 3 Feb 2027; Tết holidays run Thu 4 to Wed 10 Feb: Thu 11, Fri 12,
    # Mon 15, Tue 16, Wed 17.
    due = plan_due_date(AppointmentRequest(working_days=5), date(2027, 2, 3), date(2027, 2, 3))
    assert due == date(2027, 2, 17)


def test_working_days_skip_the_weekend() -> None:
    # Friday 27 Nov 2026 + 3 working days: Mon, Tue, Wed.
    due = plan_due_date(AppointmentRequest(working_days=3), date(2026, 11, 27), date(2026, 11, 27))
    assert due == date(2026, 12, 2)


@pytest.mark.parametrize(
    ("day", "code"),
    [
        (date(2027, 2, 8), "not_working_day"),  # Tết
        (date(2026, 11, 28), "not_working_day"),  # Saturday
        (date(2026, 9, 2), "not_future"),  # National Day, and past
        (date(2026, 11, 27), "not_future"),  # today
        (date(2026, 11, 26), "not_future"),  # yesterday
    ],
)
def test_an_explicit_date_must_be_a_future_working_day(day: date, code: str) -> None:
    with pytest.raises(DomainError) as refused:
        plan_due_date(AppointmentRequest(due_on=day), date(2026, 11, 27), date(2026, 11, 27))
    assert (refused.value.field, refused.value.code) == ("due_on", code)


def test_an_explicit_working_day_in_the_future_is_kept() -> None:
    day = date(2026, 12, 4)
    assert (
        plan_due_date(AppointmentRequest(due_on=day), date(2026, 11, 27), date(2026, 11, 27)) == day
    )


@pytest.mark.parametrize("days", [0, -1, 251])
def test_working_days_out_of_range(days: int) -> None:
    with pytest.raises(DomainError) as refused:
        plan_due_date(AppointmentRequest(working_days=days), date(2026, 11, 27), date(2026, 11, 27))
    assert refused.value.code == "range"


def test_nothing_asked_is_refused() -> None:
    with pytest.raises(DomainError):
        plan_due_date(AppointmentRequest(), date(2026, 11, 27), date(2026, 11, 27))


def test_a_new_date_must_come_after_the_old_one() -> None:
    with pytest.raises(DomainError) as refused:
        check_promised_date(
            "new_date", date(2026, 12, 3), date(2026, 11, 27), after=date(2026, 12, 4)
        )
    assert refused.value.code == "not_after_old"
    check_promised_date("new_date", date(2026, 12, 7), date(2026, 11, 27), after=date(2026, 12, 4))
