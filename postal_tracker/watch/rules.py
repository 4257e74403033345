"""The watchdogs' rules, pure: how long each leg may hold an item, when an
offer or an appointment is overdue, when the day's bags must balance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from postal_tracker.units.models import UnitKind
from postal_tracker.workdays import add_working_days, is_working_day

# A person (postal worker, officer) holds an item in their own hands.
PERSON = "person"
# Working days a holder may keep an item before it must move on. An agency is
# not here: its limit is the appointment date, watched on its own.
LEG_WORKING_DAYS: dict[str, int] = {
    PERSON: 1,
    UnitKind.COMMUNE_OFFICE: 1,
    UnitKind.POST_POINT: 1,
    UnitKind.POST_OFFICE: 1,
    UnitKind.HUB: 1,
}
OFFER_LIMIT = timedelta(hours=2)
END_OF_DAY = time(17, 30)


@dataclass(frozen=True)
class Finding:
    """Something a supervisor must see. ``key`` names it for good: the same
    finding found again is the same key, so it is raised once."""

    key: str
    kind: str
    unit_id: int | None
    item_id: int | None
    message: str


def leg_deadline(holder: str, since: date, waits_until: date | None = None) -> date | None:
    """The last day the holder may keep an item taken on ``since``; None when
    the leg has no limit of its own (an agency). An item waiting for its
    scheduled delivery day may wait until that day."""
    days = LEG_WORKING_DAYS.get(holder)
    if days is None:
        return None
    deadline = add_working_days(since, days)
    if waits_until is not None and waits_until > deadline:
        return waits_until
    return deadline


def stalled(holder: str, since: date, today: date, waits_until: date | None = None) -> bool:
    deadline = leg_deadline(holder, since, waits_until)
    return deadline is not None and today > deadline


def offer_overdue(offered_at: datetime, now: datetime) -> bool:
    return now - offered_at > OFFER_LIMIT


def past_appointment(due_on: date, today: date) -> bool:
    """The appointment day itself is still on time."""
    return today > due_on


def reconciliation_due(local_now: datetime) -> bool:
    """At or after 17:30 on a working day (Vietnam local time)."""
    return is_working_day(local_now.date()) and local_now.time() >= END_OF_DAY
