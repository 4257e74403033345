"""Each watchdog against the real database: a finding raises one alert, a
second run raises nothing more, and the alert clears itself when the
condition does (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import select

from postal_tracker.clock import VN_TZ
from postal_tracker.config import PERSON, limits_from
from postal_tracker.custody.ledger import record
from postal_tracker.custody.models import Item
from postal_tracker.custody.rules import EventKind
from postal_tracker.db import transaction, utcnow
from postal_tracker.units.kinds import UnitKind
from postal_tracker.watch import findings, rules
from postal_tracker.watch.service import run_end_of_day, run_watchdogs
from tests.agency.conftest import offered_to_sct, receive
from tests.custody.helpers import actor, new_item, scan, unit, user
from tests.delivery.helpers import returning_result
from tests.watch.helpers import alerts_of, resolutions


def taken_in(engine: sa.Engine) -> tuple[int, str]:
    with transaction(engine) as s:
        item = new_item(s)
        assert item.id is not None
        return item.id, item.tracking_code


def offer_to_worker(engine: sa.Engine, code: str) -> int:
    with transaction(engine) as s:
        record(
            s,
            actor(s, "canbo.trangxa", "MC-TRANGXA"),
            scan(code, EventKind.HANDOVER_OFFERED, receiver_user_id=user(s, "buuta.vonhai").id),
        )
        item = s.scalars(select(Item).where(Item.tracking_code == code)).one()
        assert item.offer_event_id is not None
        return item.offer_event_id


def confirm(engine: sa.Engine, code: str, offer_id: int) -> None:
    with transaction(engine) as s:
        record(
            s, actor(s, "buuta.vonhai"), scan(code, EventKind.HANDOVER_CONFIRMED, follows=offer_id)
        )


# -- the pure rules -----------------------------------------------------------


def test_a_leg_may_hold_an_item_one_working_day_skipping_tet() -> None:
    friday_before_tet = date(2027, 2, 5)
    # Tết 2027 closes 6 to 10 February (with the weekend): the next working day is the 11th.
    assert rules.leg_deadline(PERSON, friday_before_tet) == date(2027, 2, 11)
    assert not rules.stalled(UnitKind.HUB, friday_before_tet, date(2027, 2, 11))
    assert rules.stalled(UnitKind.HUB, friday_before_tet, date(2027, 2, 12))


def test_an_agency_leg_has_no_limit_of_its_own() -> None:
    assert rules.leg_deadline(UnitKind.AGENCY, date(2027, 1, 4)) is None
    assert not rules.stalled(UnitKind.AGENCY, date(2027, 1, 4), date(2027, 12, 31))


def test_an_item_waiting_for_its_delivery_day_may_wait_until_then() -> None:
    monday = date(2027, 1, 25)
    assert not rules.stalled(PERSON, monday, date(2027, 1, 29), waits_until=date(2027, 1, 29))
    assert rules.stalled(PERSON, monday, date(2027, 1, 30), waits_until=date(2027, 1, 29))


def test_offers_and_appointments() -> None:
    offered = datetime(2027, 1, 25, 8, 0, tzinfo=VN_TZ)
    assert not rules.offer_overdue(offered, offered + timedelta(hours=2))
    assert rules.offer_overdue(offered, offered + timedelta(hours=2, seconds=1))
    assert not rules.past_appointment(date(2027, 1, 25), date(2027, 1, 25))
    assert rules.past_appointment(date(2027, 1, 25), date(2027, 1, 26))


def test_end_of_day_is_half_past_five_on_working_days() -> None:
    assert not rules.reconciliation_due(datetime(2027, 1, 25, 17, 29, tzinfo=VN_TZ))
    assert rules.reconciliation_due(datetime(2027, 1, 25, 17, 30, tzinfo=VN_TZ))
    assert not rules.reconciliation_due(datetime(2027, 1, 30, 18, 0, tzinfo=VN_TZ))  # Saturday
    assert not rules.reconciliation_due(datetime(2027, 2, 8, 18, 0, tzinfo=VN_TZ))  # Tết


# -- against the database -----------------------------------------------------


def test_stalled_custody_is_raised_once_and_clears_when_custody_moves(engine: sa.Engine) -> None:
    item_id, code = taken_in(engine)
    now = utcnow()
    run_watchdogs(engine, now)
    assert alerts_of(engine, findings.STALLED, item_id=item_id) == []

    later = now + timedelta(days=8)
    first = run_watchdogs(engine, later)
    again = run_watchdogs(engine, later + timedelta(minutes=15))
    [alert] = alerts_of(engine, findings.STALLED, item_id=item_id)
    assert first.raised >= 1 and again.raised == 0
    assert code in alert.message and alert.resolved_at is None
    with transaction(engine) as s:
        assert alert.unit_id == unit(s, "MC-TRANGXA").id

    offer = offer_to_worker(engine, code)
    confirm(engine, code, offer)
    run_watchdogs(engine, utcnow())
    [cleared] = alerts_of(engine, findings.STALLED, item_id=item_id)
    assert cleared.resolved_at is not None and cleared.resolved_by_user_id is None
    [why] = resolutions(engine, cleared.id or 0)
    assert why.resolved_by_user_id is None and "cleared" in why.note


def test_an_item_stalled_again_after_moving_is_a_new_alert(engine: sa.Engine) -> None:
    item_id, code = taken_in(engine)
    run_watchdogs(engine, utcnow() + timedelta(days=8))
    confirm(engine, code, offer_to_worker(engine, code))
    run_watchdogs(engine, utcnow() + timedelta(days=8))
    old, new = alerts_of(engine, findings.STALLED, item_id=item_id)
    assert old.finding_key != new.finding_key
    assert new.resolved_at is None


def test_a_deployment_may_give_a_leg_more_days() -> None:
    monday = date(2027, 1, 25)
    limits = limits_from("hub=3, person=2", 2)
    assert rules.leg_deadline(UnitKind.HUB, monday, limits=limits) == date(2027, 1, 28)
    assert rules.leg_deadline(PERSON, monday, limits=limits) == date(2027, 1, 27)
    assert rules.leg_deadline(UnitKind.POST_OFFICE, monday, limits=limits) == date(2027, 1, 26)
    assert not rules.stalled(UnitKind.HUB, monday, date(2027, 1, 28), limits=limits)
    assert rules.stalled(UnitKind.HUB, monday, date(2027, 1, 29), limits=limits)


@pytest.mark.parametrize(
    ("spec", "hours", "says"),
    [
        ("hub=two", 2, "whole number"),
        ("agency=3", 2, "not a leg"),
        ("hub=0", 2, "at least 1 working day"),
        ("", 0, "at least 1 hour"),
    ],
)
def test_wrong_watch_limits_stop_start_up_with_a_clear_message(
    spec: str, hours: int, says: str
) -> None:
    from postal_tracker.config import ConfigError, Settings

    environ = {
        "POSTAL_TRACKER_WATCH_LEG_DAYS": spec,
        "POSTAL_TRACKER_WATCH_OFFER_HOURS": str(hours),
    }
    with pytest.raises(ConfigError, match=says):
        Settings.from_env(environ, secret_key="s" * 64)


def test_a_longer_offer_limit_delays_the_alert(engine: sa.Engine) -> None:
    item_id, code = taken_in(engine)
    offer_to_worker(engine, code)
    now = utcnow()
    four_hours = limits_from("", 4)
    run_watchdogs(engine, now + timedelta(hours=3), four_hours)
    assert alerts_of(engine, findings.OFFER_UNCONFIRMED, item_id=item_id) == []
    run_watchdogs(engine, now + timedelta(hours=4, minutes=1), four_hours)
    assert len(alerts_of(engine, findings.OFFER_UNCONFIRMED, item_id=item_id)) == 1


def test_an_unconfirmed_offer_is_raised_after_two_hours(engine: sa.Engine) -> None:
    item_id, code = taken_in(engine)
    offer = offer_to_worker(engine, code)
    now = utcnow()
    run_watchdogs(engine, now + timedelta(hours=1, minutes=59))
    assert alerts_of(engine, findings.OFFER_UNCONFIRMED, item_id=item_id) == []
    run_watchdogs(engine, now + timedelta(hours=2, minutes=1))
    run_watchdogs(engine, now + timedelta(hours=2, minutes=16))
    [alert] = alerts_of(engine, findings.OFFER_UNCONFIRMED, item_id=item_id)
    assert alert.finding_key == f"{findings.OFFER_UNCONFIRMED}:{offer}"

    confirm(engine, code, offer)
    run_watchdogs(engine, now + timedelta(hours=2, minutes=31))
    [cleared] = alerts_of(engine, findings.OFFER_UNCONFIRMED, item_id=item_id)
    assert cleared.resolved_at is not None
    [why] = resolutions(engine, cleared.id or 0)
    with transaction(engine) as s:
        confirmed = s.get(Item, item_id)
        assert confirmed is not None and why.closed_by_event_id == confirmed.head_event_id


def test_a_dossier_past_its_appointment_is_raised_for_the_agency(engine: sa.Engine) -> None:
    with transaction(engine) as s:
        item = offered_to_sct(s)
        receipt = receive(s, item, days=3)
        assert receipt.appointment is not None
        due_on = receipt.appointment.due_on
        item_id, sct = item.id, unit(s, "SCT").id
    on_the_day = datetime.combine(due_on, time(16), tzinfo=VN_TZ)
    run_watchdogs(engine, on_the_day)
    assert alerts_of(engine, findings.PAST_APPOINTMENT, item_id=item_id) == []
    run_watchdogs(engine, on_the_day + timedelta(days=1))
    run_watchdogs(engine, on_the_day + timedelta(days=1, minutes=15))
    [alert] = alerts_of(engine, findings.PAST_APPOINTMENT, item_id=item_id)
    assert alert.unit_id == sct
    assert due_on.strftime("%d/%m/%Y") in alert.message


def test_end_of_day_finds_each_worker_still_holding_items(engine: sa.Engine) -> None:
    with transaction(engine) as s:
        held = returning_result(s)  # collected by buuta.vonhai, in his hands
        worker_id = user(s, "buuta.vonhai").id
        code = held.tracking_code
    monday = date(2027, 1, 25)
    key = f"{findings.NOT_IN_OFFICE}:{worker_id}:{monday.isoformat()}"

    def mine() -> list[str]:
        return [
            a.message for a in alerts_of(engine, findings.NOT_IN_OFFICE) if a.finding_key == key
        ]

    assert run_end_of_day(engine, datetime.combine(monday, time(17, 29), tzinfo=VN_TZ)).found == 0
    assert mine() == []
    first = run_end_of_day(engine, datetime.combine(monday, time(17, 30), tzinfo=VN_TZ))
    again = run_end_of_day(engine, datetime.combine(monday, time(17, 45), tzinfo=VN_TZ))
    [message] = mine()
    assert first.raised >= 1 and again.raised == 0
    assert code in message and "buuta.vonhai" in message
    # On a public holiday nobody is out: no reconciliation.
    tet = datetime(2027, 2, 8, 17, 30, tzinfo=VN_TZ)
    assert run_end_of_day(engine, tet).found == 0


@pytest.mark.parametrize("runs", [2])
def test_two_runs_at_once_raise_one_alert(engine: sa.Engine, runs: int) -> None:
    """Two schedulers finding the same thing: the unique key keeps one alert."""
    from concurrent.futures import ThreadPoolExecutor

    item_id, _ = taken_in(engine)
    later = utcnow() + timedelta(days=8)
    with ThreadPoolExecutor(runs) as pool:
        list(pool.map(lambda _: run_watchdogs(engine, later), range(runs)))
    assert len(alerts_of(engine, findings.STALLED, item_id=item_id)) == 1
