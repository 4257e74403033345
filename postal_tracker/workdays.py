"""Vietnamese working days: Monday to Friday, less public holidays (Tết and
all, from the ``holidays`` package), in Asia/Ho_Chi_Minh time.

Appointment dates ("ngày hẹn trả kết quả") count working days; deliveries are
scheduled only on working days. Pure: no Flask, no database.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache

import holidays

from postal_tracker.clock import VN_TZ

# Far enough for any appointment or delivery schedule; a guard against loops.
MAX_SEARCH_DAYS = 366


@lru_cache(maxsize=64)
def _holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("VN", years=year)


def holiday_name(day: date) -> str | None:
    """The holiday's name if ``day`` is a Vietnamese public holiday."""
    name = _holidays(day.year).get(day)
    return str(name) if name else None


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and holiday_name(day) is None


def local_date(moment: datetime) -> date:
    """The calendar date in Vietnam of an aware moment."""
    if moment.tzinfo is None:
        raise ValueError("an aware datetime is required")
    return moment.astimezone(VN_TZ).date()


def next_working_day(day: date, *, include_today: bool = True) -> date:
    """``day`` itself if it is a working day (and ``include_today``), else the next one."""
    current = day if include_today else day + timedelta(days=1)
    for _ in range(MAX_SEARCH_DAYS):
        if is_working_day(current):
            return current
        current += timedelta(days=1)
    raise ValueError("no working day within a year")


def add_working_days(day: date, count: int) -> date:
    """The date ``count`` working days after ``day`` (``day`` itself not counted):
    a dossier received on Friday with 3 working days is due on Wednesday."""
    if count < 0:
        raise ValueError("count must not be negative")
    current = day
    added = 0
    for _ in range(count + MAX_SEARCH_DAYS):
        if added == count:
            return current
        current += timedelta(days=1)
        if is_working_day(current):
            added += 1
    raise ValueError("too many working days")


def working_days_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (negative if end < start)."""
    if end < start:
        return -working_days_between(end, start)
    return sum(
        1 for n in range(1, (end - start).days + 1) if is_working_day(start + timedelta(days=n))
    )
