"""The one rule for a device's clock, for pages and the API alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from postal_tracker.clock import (
    MAX_CLOCK_AHEAD,
    MAX_PAGE_AGE,
    VN_TZ,
    check_device_time,
    page_device_time,
)
from postal_tracker.errors import DomainError

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=VN_TZ)


def test_a_device_time_in_any_offset_within_the_bounds_is_kept() -> None:
    offline = (NOW - timedelta(days=3)).astimezone(UTC)  # an offline queue: no age limit
    assert check_device_time(offline, NOW) == offline
    slightly_ahead = NOW + MAX_CLOCK_AHEAD
    assert check_device_time(slightly_ahead, NOW) == slightly_ahead


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (datetime(2026, 11, 27, 9, 0), "UTC offset"),
        (NOW + MAX_CLOCK_AHEAD + timedelta(seconds=1), "ahead"),
    ],
)
def test_a_bare_or_early_clock_is_refused_on_its_field(value: datetime, words: str) -> None:
    with pytest.raises(DomainError) as err:
        check_device_time(value, NOW)
    assert err.value.field == "device_time" and words in err.value.untranslated()


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "yesterday",
        "2026-11-27T08:30:00",  # no offset
        (NOW + MAX_CLOCK_AHEAD + timedelta(minutes=1)).isoformat(),
        (NOW - MAX_PAGE_AGE - timedelta(minutes=1)).isoformat(),  # a page left open
    ],
)
def test_a_page_falls_back_to_the_server_clock(raw: str | None) -> None:
    assert page_device_time(raw, NOW) == NOW


def test_a_page_keeps_its_own_time_within_the_bounds() -> None:
    served = (NOW - MAX_PAGE_AGE).astimezone(UTC)
    assert page_device_time(served.isoformat(), NOW) == served
    assert page_device_time("2026-11-27T08:59:00+07:00", NOW).utcoffset() == timedelta(hours=7)
