"""Working days in Vietnam, Tết included."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from postal_tracker import workdays


def test_tet_2027_is_not_worked() -> None:
    # Tết Đinh Mùi: 4-10 February 2027 are holidays (Thursday to Wednesday).
    for day in range(4, 11):
        assert not workdays.is_working_day(date(2027, 2, day))
    assert workdays.holiday_name(date(2027, 2, 6)) is not None
    # Three working days after Wednesday 3 Feb: Thu 11, Fri 12, Mon 15.
    assert workdays.add_working_days(date(2027, 2, 3), 3) == date(2027, 2, 15)
    assert workdays.next_working_day(date(2027, 2, 5)) == date(2027, 2, 11)


def test_weekends_and_national_day() -> None:
    assert workdays.add_working_days(date(2026, 11, 27), 1) == date(2026, 11, 30)  # Fri -> Mon
    assert not workdays.is_working_day(date(2026, 9, 2))
    assert workdays.next_working_day(date(2026, 11, 28), include_today=True) == date(2026, 11, 30)
    assert workdays.next_working_day(date(2026, 11, 27), include_today=False) == date(2026, 11, 30)


def test_local_date_is_vietnam_time() -> None:
    # 18:30 UTC on the 27th is 01:30 on the 28th in Hà Nội.
    assert workdays.local_date(datetime(2026, 11, 27, 18, 30, tzinfo=UTC)) == date(2026, 11, 28)


@given(st.dates(min_value=date(2025, 1, 1), max_value=date(2030, 12, 31)), st.integers(0, 40))
def test_add_and_count_agree(start: date, n: int) -> None:
    end = workdays.add_working_days(start, n)
    assert workdays.working_days_between(start, end) == n
    if n:
        assert workdays.is_working_day(end)
    assert end - start <= timedelta(days=n * 2 + 16)
