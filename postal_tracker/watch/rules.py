"""The watchdogs' rules, pure: how long each leg may hold an item, when an
offer or an appointment is overdue, when the day's bags must balance."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
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
class Limits:
    """How long each leg may hold an item and an offer may wait; the defaults
    above unless the deployment says otherwise (``POSTAL_TRACKER_WATCH_*``)."""

    leg_working_days: Mapping[str, int] = field(default_factory=lambda: dict(LEG_WORKING_DAYS))
    offer_limit: timedelta = OFFER_LIMIT


DEFAULT_LIMITS = Limits()


def parse_leg_days(spec: str) -> dict[str, int]:
    """``"hub=2, post_office=1"``: the legs whose limit differs from the
    default, merged over the defaults. A ValueError names what is wrong."""
    legs = dict(LEG_WORKING_DAYS)
    for part in filter(None, (p.strip() for p in spec.split(","))):
        holder, _, days = part.partition("=")
        holder = holder.strip()
        if holder not in legs:
            known = ", ".join(sorted(legs))
            raise ValueError(f"{holder!r} is not a leg with a limit; use one of {known}")
        try:
            legs[holder] = int(days)
        except ValueError:
            raise ValueError(f"{part!r}: the days must be a whole number, as in hub=2") from None
        # The stalled-custody query counts on every leg allowing a whole day.
        if legs[holder] < 1:
            raise ValueError(f"{part!r}: a leg must allow at least 1 working day")
    return legs


def limits_from(leg_days: str, offer_hours: int) -> Limits:
    if offer_hours < 1:
        raise ValueError("an offer must be allowed at least 1 hour")
    return Limits(
        leg_working_days=parse_leg_days(leg_days), offer_limit=timedelta(hours=offer_hours)
    )


@dataclass(frozen=True)
class Finding:
    """Something a supervisor must see. ``key`` names it for good: the same
    finding found again is the same key, so it is raised once."""

    key: str
    kind: str
    unit_id: int | None
    item_id: int | None
    message: str


def leg_deadline(
    holder: str, since: date, waits_until: date | None = None, limits: Limits = DEFAULT_LIMITS
) -> date | None:
    """The last day the holder may keep an item taken on ``since``; None when
    the leg has no limit of its own (an agency). An item waiting for its
    scheduled delivery day may wait until that day."""
    days = limits.leg_working_days.get(holder)
    if days is None:
        return None
    deadline = add_working_days(since, days)
    if waits_until is not None and waits_until > deadline:
        return waits_until
    return deadline


def stalled(
    holder: str,
    since: date,
    today: date,
    waits_until: date | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> bool:
    deadline = leg_deadline(holder, since, waits_until, limits)
    return deadline is not None and today > deadline


def offer_overdue(offered_at: datetime, now: datetime, limits: Limits = DEFAULT_LIMITS) -> bool:
    return now - offered_at > limits.offer_limit


def past_appointment(due_on: date, today: date) -> bool:
    """The appointment day itself is still on time."""
    return today > due_on


def reconciliation_due(local_now: datetime) -> bool:
    """At or after 17:30 on a working day (Vietnam local time)."""
    return is_working_day(local_now.date()) and local_now.time() >= END_OF_DAY
