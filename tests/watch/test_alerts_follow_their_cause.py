"""Alerts that follow their cause (issue 10): an alert closes itself when its
cause goes away, naming the event that removed it, and stays open while the
cause holds; every alert's text is shown in Vietnamese."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import col, select

from postal_tracker.custody.ledger import record
from postal_tracker.custody.models import Alert
from postal_tracker.custody.rules import EventKind
from postal_tracker.db import transaction, utcnow
from postal_tracker.manifests import service
from postal_tracker.watch import findings
from postal_tracker.watch.alerts import job_failed, raise_findings
from postal_tracker.watch.rules import Finding
from postal_tracker.watch.service import run_end_of_day, run_watchdogs
from postal_tracker.watch.views import KIND_LABELS
from tests.conftest import Browser
from tests.custody.helpers import actor, new_item, scan, unit, user
from tests.manifests.helpers import (
    GIVER,
    GIVER_OFFICE,
    RECEIVER,
    cid,
    item,
    make_items,
    manifest,
    now,
    offered,
)
from tests.watch.helpers import alerts_of, resolutions


def received_with_one_missing(engine: sa.Engine) -> str:
    """A bag of two offered to the receiver, received without its first item."""
    codes = make_items(engine, 2)
    ref = offered(engine, codes)
    with transaction(engine) as s:
        service.receive_manifest(
            s, user(s, RECEIVER), manifest(s, ref), codes[1:], client_id=cid(), device_time=now()
        )
    return codes[0]


def disputed_in_a_bag(engine: sa.Engine) -> tuple[str, str]:
    """An item that moved after its bag was offered, then received with the
    bag: a conflict. Its code and the bag's reference."""
    codes = make_items(engine, 1)
    ref = offered(engine, codes)
    with transaction(engine) as s:
        record(s, actor(s, GIVER, GIVER_OFFICE), scan(codes[0], EventKind.DEPARTED))
    with transaction(engine) as s:
        service.receive_manifest(
            s, user(s, RECEIVER), manifest(s, ref), codes, client_id=cid(), device_time=now()
        )
    return codes[0], ref


def is_open(engine: sa.Engine, alert: Alert) -> bool:
    with transaction(engine) as s:
        found = s.get(Alert, alert.id)
        assert found is not None
        return found.resolved_at is None


def test_the_missing_item_received_closes_its_alert(engine: sa.Engine) -> None:
    code = received_with_one_missing(engine)
    with transaction(engine) as s:
        item_id = item(s, code).id
    [alert] = alerts_of(engine, "manifest_missing", item_id=item_id)
    run_watchdogs(engine, utcnow())
    assert is_open(engine, alert)  # still missing

    with transaction(engine) as s:
        record(
            s,
            actor(s, GIVER, GIVER_OFFICE),
            scan(code, EventKind.HANDOVER_OFFERED, receiver_user_id=user(s, RECEIVER).id),
        )
        offer_id = item(s, code).offer_event_id
    run_watchdogs(engine, utcnow())
    assert is_open(engine, alert)  # found and offered again, not yet received

    with transaction(engine) as s:
        answer = record(
            s, actor(s, RECEIVER), scan(code, EventKind.HANDOVER_CONFIRMED, follows=offer_id)
        )
    run = run_watchdogs(engine, utcnow())
    assert run.cleared >= 1 and not is_open(engine, alert)
    [why] = resolutions(engine, alert.id or 0)
    assert why.closed_by_event_id == answer.event_id and why.resolved_by_user_id is None
    run_watchdogs(engine, utcnow())
    assert len(resolutions(engine, alert.id or 0)) == 1


def test_a_dispute_closes_its_alert_only_when_a_supervisor_settles_it(engine: sa.Engine) -> None:
    code, _ = disputed_in_a_bag(engine)
    with transaction(engine) as s:
        item_id = item(s, code).id
    [alert] = alerts_of(engine, "custody_conflict", item_id=item_id)
    with transaction(engine) as s:
        record(
            s,
            actor(s, GIVER, GIVER_OFFICE),
            scan(code, EventKind.INCIDENT_OPENED, data={"incident": {"kind": "other"}}),
        )
    run_watchdogs(engine, utcnow())
    assert is_open(engine, alert)  # an incident opened settles nothing

    with transaction(engine) as s:
        answer = record(
            s,
            actor(s, "giamsat"),
            scan(code, EventKind.INCIDENT_RESOLVED, new_custodian_user_id=user(s, GIVER).id),
        )
    run_watchdogs(engine, utcnow())
    assert not is_open(engine, alert)
    [why] = resolutions(engine, alert.id or 0)
    assert why.closed_by_event_id == answer.event_id


def test_a_stalled_item_that_moves_closes_its_alert_naming_the_move(engine: sa.Engine) -> None:
    with transaction(engine) as s:
        stalled = new_item(s)
        code, item_id = stalled.tracking_code, stalled.id
    run_watchdogs(engine, utcnow() + timedelta(days=8))
    [alert] = alerts_of(engine, findings.STALLED, item_id=item_id)
    with transaction(engine) as s:
        record(
            s,
            actor(s, "canbo.trangxa", "MC-TRANGXA"),
            scan(code, EventKind.HANDOVER_OFFERED, receiver_user_id=user(s, "buuta.vonhai").id),
        )
        offer_id = item(s, code).offer_event_id
    run_watchdogs(engine, utcnow() + timedelta(days=8))
    assert is_open(engine, alert)  # offered is not moved: the same finding holds
    with transaction(engine) as s:
        answer = record(
            s, actor(s, "buuta.vonhai"), scan(code, EventKind.HANDOVER_CONFIRMED, follows=offer_id)
        )
    run_watchdogs(engine, utcnow())
    assert not is_open(engine, alert)
    [why] = resolutions(engine, alert.id or 0)
    assert why.closed_by_event_id == answer.event_id


def test_an_alert_raised_before_message_ids_shows_its_stored_text(
    engine: sa.Engine, as_user: Callable[[str], Browser]
) -> None:
    with transaction(engine) as s:
        s.add(Alert(kind="custody_stalled", unit_id=unit(s, "MC-TRANGXA").id, message="Old text."))
    html = as_user("giamsat").client.get("/alerts/").get_data(as_text=True)
    assert "<p>Old text.</p>" in html


# Words of the English alert texts; none may show on the Vietnamese page.
ENGLISH = re.compile(
    r"\b(not|has|moved|since|handover|offered|confirmed|appointment|passed|result|"
    r"listed|received|manifest|without|being|conflicting|scan|still|holds|item|end|"
    r"collected|agency|notice|attempt|delivered|scheduled|job|failed|dossier|newer|meanwhile)\b",
    re.IGNORECASE,
)


def test_every_kind_of_alert_reads_in_vietnamese(
    engine: sa.Engine, as_user: Callable[[str], Browser]
) -> None:
    # Raised by the code that raises them in the app.
    received_with_one_missing(engine)  # manifest_missing (and the bag's conflict below)
    _, ref = disputed_in_a_bag(engine)  # custody_conflict
    with transaction(engine) as s:
        held = new_item(s, GIVER, GIVER_OFFICE)
        record(
            s,
            actor(s, GIVER, GIVER_OFFICE),
            scan(held, EventKind.HANDOVER_OFFERED, receiver_user_id=user(s, RECEIVER).id),
        )
        job_failed(s, "reminders", "RuntimeError: boom", utcnow())
    run_watchdogs(engine, utcnow() + timedelta(days=8))  # stalled, offer unconfirmed
    run_end_of_day(engine, utcnow(), force=True)
    with transaction(engine) as s:
        kinds = set(s.scalars(select(Alert.kind)))
        # The kinds not raised above, with the message ids their raisers use.
        other = new_item(s)
        raise_findings(
            s,
            [
                Finding(
                    key=f"t:{kind}",
                    kind=kind,
                    unit_id=unit(s, "MC-TRANGXA").id,
                    item_id=other.id,
                    message_id=message_id,
                    params=params,
                )
                for kind, message_id, params in [
                    (
                        findings.PAST_APPOINTMENT,
                        "%(code)s: appointment %(due)s passed with no result.",
                        {"code": other.tracking_code, "due": "01/12/2026"},
                    ),
                    (
                        "manifest_extra",
                        "%(code)s was received with manifest %(ref)s without being listed.",
                        {"code": other.tracking_code, "ref": ref},
                    ),
                    (
                        "delivery_return",
                        "%(code)s was not collected by %(day)s; it is offered back to the agency.",
                        {"code": other.tracking_code, "day": "01/12/2026"},
                    ),
                    (
                        "notice_failed",
                        "Notice #%(id)s for %(code)s by %(medium)s to %(to)s not delivered "
                        "after %(attempts)s attempt(s): %(error)s",
                        {
                            "id": "7",
                            "code": other.tracking_code,
                            "medium": "sms",
                            "to": "09xx xxx 678",
                            "attempts": "3",
                            "error": "HTTP 503",
                        },
                    ),
                ]
                if kind not in kinds
            ],
        )
        shown = list(s.scalars(select(Alert).where(col(Alert.resolved_at).is_(None))))
    assert {a.kind for a in shown} == set(KIND_LABELS), set(KIND_LABELS) - {a.kind for a in shown}
    assert all(a.message_id for a in shown)
    page = as_user("quantri").client.get("/alerts/", headers={"Accept-Language": "vi"})
    html = page.get_data(as_text=True)
    texts = re.findall(r'<li class="card alert"[^>]*>.*?</form>', html, re.DOTALL)
    assert len(texts) == len(shown)
    for text in texts:
        body = re.sub(r"<form.*", "", text, flags=re.DOTALL)
        body = re.sub(r"<[^>]+>|HC\w+|BK-[\w-]+|RuntimeError: boom|HTTP 503", " ", body)
        assert not ENGLISH.search(body), body
    assert "Bưu gửi" in html and "bảng kê" in html
