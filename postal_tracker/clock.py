"""Vietnam's time, and the one rule for a time a person's device sends.

Every event keeps two clocks: the time on the device (when it happened, with its
UTC offset) and the time the server recorded it. The device's clock is trusted
within bounds, the same bounds for every page and the API:

- it must carry its UTC offset (a bare time could be any zone);
- it may be at most :data:`MAX_CLOCK_AHEAD` ahead of the server: a clock further
  ahead is wrong, not early.

A page (a form served by this server and sent back at once) is held to one more
bound: its time may be at most :data:`MAX_PAGE_AGE` old, so that a page left open
for days cannot backdate what it records. The API has no such bound: an offline
scanner's queue keeps its scans, with their real times, until it is back online.

Pure: no Flask, no database.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from postal_tracker.errors import N_, DomainError

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")  # no daylight saving time
MAX_CLOCK_AHEAD = timedelta(minutes=10)
MAX_PAGE_AGE = timedelta(hours=12)


def vn_now() -> datetime:
    """Now, in Vietnam's time zone."""
    return datetime.now(VN_TZ)


def check_device_time(value: datetime, now: datetime | None = None) -> datetime:
    """``value`` if a device may claim it at ``now`` (default: the server's
    clock), else a :class:`DomainError` on the field ``device_time``."""
    if value.tzinfo is None:
        raise DomainError(
            N_("The device time must carry its UTC offset."),
            field="device_time",
            code="device_time",
        )
    if value - (now or vn_now()) > MAX_CLOCK_AHEAD:
        raise DomainError(
            N_("The device clock is ahead of the server; check the phone's time."),
            field="device_time",
            code="device_time",
        )
    return value


def page_device_time(raw: str | None, now: datetime | None = None) -> datetime:
    """The device time a page sent (ISO 8601 with its offset), or ``now`` in
    Vietnam's time when the page sent none, or one the rule above refuses, or one
    older than :data:`MAX_PAGE_AGE`. A page never fails on its clock: the server's
    own time is the honest fallback."""
    now = now or vn_now()
    try:
        value = check_device_time(datetime.fromisoformat(raw or ""), now)
    except (ValueError, DomainError):
        return now
    return value if now - value <= MAX_PAGE_AGE else now
