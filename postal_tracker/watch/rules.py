"""The watchdogs' rules, pure: how long each leg may hold an item, when an
offer or an appointment is overdue, when the day's bags must balance."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time

from postal_tracker.config import DEFAULT_LIMITS, Limits
from postal_tracker.workdays import add_working_days, is_working_day

END_OF_DAY = time(17, 30)


@dataclass(frozen=True)
class Finding:
    """Something a supervisor must see. ``key`` names it for good: the same
    finding found again is the same key, so it is raised once."""

    key: str
    kind: str
    unit_id: int | None
    item_id: int | None
    # A message id (``N_``) and its parameters: translated when shown.
    message_id: str
    params: dict[str, str] = field(default_factory=dict)

    @property
    def message(self) -> str:
        """The text in English, kept on the alert beside the id."""
        return (self.message_id % self.params)[:1000]


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
