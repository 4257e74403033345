"""One dossier's whole journey, from intake at Tràng Xá to the citizen's
door, with the clock moved through Tết 2027: it ends delivered on the right
working day, with the right notices, queued once each and relayed.

The services take the day or the device time as parameters; the ledger
alone reads the server clock (``server_time``, and the check that a device
is not ahead of it), so that one name is moved with the journey's clock.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import date, datetime, time
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlmodel import col, select

from postal_tracker import jobs
from postal_tracker.agency import service as agency
from postal_tracker.agency.dates import AppointmentRequest
from postal_tracker.agency.models import ResultKind
from postal_tracker.clock import VN_TZ
from postal_tracker.config import Settings
from postal_tracker.custody.ledger import record
from postal_tracker.custody.models import CustodyEvent, Item
from postal_tracker.custody.rules import EventKind, Phase
from postal_tracker.db import transaction
from postal_tracker.delivery import service as delivery
from postal_tracker.delivery.demo_routes import load_demo_routes
from postal_tracker.delivery.models import Delivery, DeliveryStatus, Relation
from postal_tracker.extensions import limiter
from postal_tracker.intake.models import DeliveryPreference
from postal_tracker.intake.service import DocumentLine, IntakeRecord, take_in
from postal_tracker.notify.channels.files import outbox_dir
from postal_tracker.notify.models import OutboxMessage, OutboxStatus
from postal_tracker.notify.relay import relay_once
from postal_tracker.watch.findings import PAST_APPOINTMENT
from postal_tracker.watch.service import run_watchdogs
from postal_tracker.workdays import is_working_day
from tests.conftest import Browser
from tests.custody.helpers import actor, scan, unit, user
from tests.delivery.test_service import signature
from tests.watch.helpers import alerts_of


class Clock:
    """The server's clock as the ledger reads it."""

    def __init__(self) -> None:
        self.now = datetime(2027, 2, 1, 9, 0, tzinfo=VN_TZ)

    def at(self, day: date, hour: int, minute: int = 0) -> datetime:
        self.now = datetime.combine(day, time(hour, minute), tzinfo=VN_TZ)
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    c = Clock()
    monkeypatch.setattr("postal_tracker.custody.ledger.utcnow", lambda: c.now)
    yield c


@pytest.fixture
def settings(app: Flask) -> Settings:
    s: Settings = app.config["SETTINGS"]
    return s


MON_1_FEB = date(2027, 2, 1)
TUE_2_FEB = date(2027, 2, 2)
WED_3_FEB = date(2027, 2, 3)
THU_4_FEB = date(2027, 2, 4)  # 29 Tết: the holiday begins
THU_11_FEB = date(2027, 2, 11)  # first working day after Tết
FRI_12_FEB = date(2027, 2, 12)  # the first Mon/Wed/Fri route day that is a working day


def intake(engine: sa.Engine, clock: Clock) -> str:
    with transaction(engine) as s:
        dossier, item = take_in(
            s,
            actor(s, "canbo.trangxa", "MC-TRANGXA"),
            IntakeRecord(
                sender_name="Lâm Văn Sùng",
                sender_phone="+84987654321",
                sender_address="Xóm Cây Thị, xã Tràng Xá",
                sender_id_number="",
                authorised=False,
                principal_name="",
                procedure_code="2.000633",
                procedure_name="Cấp giấy phép bán lẻ rượu",
                procedure_field="Công thương",
                agency_id=unit(s, "SCT").id or 0,
                documents=(DocumentLine("Đơn đề nghị", 1, 0, 0, 2),),
                fee_vnd=0,
                postage_vnd=0,
                seal_number="TX-2027-001",
                delivery_preference=DeliveryPreference.HOME,
                delivery_address="Xóm Cây Thị",
                note="",
                intake_unit_id=unit(s, "MC-TRANGXA").id or 0,
            ),
            client_id=str(uuid.uuid4()),
            device_time=clock.at(MON_1_FEB, 9),
            tracking_prefix="HC",
        )
        dossier.sender_email = "lam.van.sung@example.vn"
        return item.tracking_code


def hand_over(
    engine: sa.Engine,
    clock: Clock,
    code: str,
    giver: tuple[str, str | None],
    receiver: tuple[str, str | None],
    when: tuple[date, int],
    *,
    to_agency: bool = False,
) -> int:
    """``giver`` offers, ``receiver`` confirms an hour later; returns the offer id."""
    with transaction(engine) as s:
        to_user = user(s, receiver[0]).id if receiver[1] is None else None
        to_unit = unit(s, receiver[1]).id if receiver[1] else None
        record(
            s,
            actor(s, *giver),
            scan(
                code,
                EventKind.HANDOVER_OFFERED,
                device_time=clock.at(when[0], when[1]),
                receiver_user_id=to_user,
                receiver_unit_id=to_unit,
                receiver_is_agency=to_agency,
            ),
        )
        offer = s.scalars(select(Item).where(Item.tracking_code == code)).one().offer_event_id
        assert offer is not None
    if to_agency:
        return offer
    with transaction(engine) as s:
        record(
            s,
            actor(s, *receiver),
            scan(
                code,
                EventKind.HANDOVER_CONFIRMED,
                follows=offer,
                device_time=clock.at(when[0], when[1] + 1),
            ),
        )
    return offer


def outbox(engine: sa.Engine) -> list[OutboxMessage]:
    with transaction(engine) as s:
        return list(s.scalars(select(OutboxMessage).order_by(col(OutboxMessage.id))))


def test_a_dossier_from_intake_to_the_door_through_tet(
    engine: sa.Engine, settings: Settings, clock: Clock, app: Flask
) -> None:
    with transaction(engine) as s:
        load_demo_routes(s)  # Tràng Xá: buuta.vonhai, Mon Wed Fri 08:00–11:30
    before = len(outbox(engine))

    # Monday 1 February: taken in at Tràng Xá, to the postal worker, to the hub.
    code = intake(engine, clock)
    hand_over(
        engine,
        clock,
        code,
        ("canbo.trangxa", "MC-TRANGXA"),
        ("buuta.vonhai", None),
        (MON_1_FEB, 14),
    )
    hand_over(engine, clock, code, ("buuta.vonhai", None), ("gdv.tinh", "BD-TINH"), (MON_1_FEB, 16))

    # Tuesday 2 February: from the hub to Sở Công Thương, 5 working days.
    offer = hand_over(
        engine,
        clock,
        code,
        ("gdv.tinh", "BD-TINH"),
        ("chuyenvien.sct", "SCT"),
        (TUE_2_FEB, 8),
        to_agency=True,
    )
    with transaction(engine) as s:
        item = s.scalars(select(Item).where(Item.tracking_code == code)).one()
        receipt = agency.receive(
            s,
            user(s, "chuyenvien.sct"),
            item.id or 0,
            AppointmentRequest(working_days=5, due_on=None),
            follows=offer,
            client_id=str(uuid.uuid4()),
            device_time=clock.at(TUE_2_FEB, 10),
        )
        assert receipt.appointment is not None
        # 3 Feb, then Tết (4 to 10 Feb) skipped: 11, 12, 15, 16 February.
        assert receipt.appointment.due_on == date(2027, 2, 16)
        dossier_id = item.dossier_id

    # Wednesday 3 February: the result, offered to and collected by the worker.
    with transaction(engine) as s:
        _, result = agency.record_result(
            s,
            user(s, "chuyenvien.sct"),
            dossier_id,
            agency.ResultDetails(ResultKind.PERMIT, "15/GP-SCT", "Trần Văn Bình", WED_3_FEB),
            client_id=str(uuid.uuid4()),
            device_time=clock.at(WED_3_FEB, 15),
            tracking_prefix="HC",
        )
        result_code = result.tracking_code
        agency.offer_result(
            s,
            user(s, "chuyenvien.sct"),
            result.id or 0,
            agency.Receiver(user(s, "buuta.vonhai").id, None),
            follows=result.head_event_id,
            client_id=str(uuid.uuid4()),
            device_time=clock.at(WED_3_FEB, 16),
        )
        record(
            s,
            actor(s, "buuta.vonhai"),
            scan(
                result_code,
                EventKind.RESULT_COLLECTED,
                follows=result.offer_event_id,
                device_time=clock.at(WED_3_FEB, 16, 30),
            ),
        )

    # Thursday 4 February, 06:00 (29 Tết): the scheduler runs, twice.
    [schedule] = [j for j in jobs.JOBS if j.name == "schedule_deliveries"]
    six = clock.at(THU_4_FEB, 6)
    assert jobs.guarded(schedule, engine, settings, lambda: six)()
    assert jobs.guarded(schedule, engine, settings, lambda: six)()
    with transaction(engine) as s:
        [booked] = s.scalars(select(Delivery).where(Delivery.item_id == result.id)).all()
        assert booked.scheduled_on == FRI_12_FEB
        assert booked.status is DeliveryStatus.SCHEDULED
    for day in (THU_4_FEB, date(2027, 2, 5), date(2027, 2, 8), date(2027, 2, 10)):
        assert not is_working_day(day)  # route days (Fri, Mon, Wed) lost to Tết

    # Through Tết the watchdogs see nothing late: the appointment is 16 February.
    run_watchdogs(engine, clock.at(THU_11_FEB, 12))
    with transaction(engine) as s:
        assert not [a for a in alerts_of(engine, PAST_APPOINTMENT) if a.item_id == item.id]

    # Thursday 11 February, 18:00: the reminder for tomorrow, once.
    [remind] = [j for j in jobs.JOBS if j.name == "remind_citizens"]
    evening = clock.at(THU_11_FEB, 18)
    assert jobs.guarded(remind, engine, settings, lambda: evening)()
    assert jobs.guarded(remind, engine, settings, lambda: evening)()

    # Friday 12 February: out on the run, delivered with proof.
    with transaction(engine) as s:
        clock.at(FRI_12_FEB, 8)
        started = delivery.start_run(s, user(s, "buuta.vonhai"), FRI_12_FEB, settings)
        assert [d.id for d in started.out] == [booked.id]
    with transaction(engine) as s:
        clock.at(FRI_12_FEB, 9, 40)
        done = delivery.record_delivery(
            s,
            user(s, "buuta.vonhai"),
            booked.id or 0,
            delivery.Proof(
                recipient_name="Lâm Văn Sùng",
                relation=Relation.SELF,
                authorisation_ref="",
                id_last_digits="",
                signature_data_url=signature(),
                photo=None,
                originals_returned=True,
                originals_note="",
            ),
            settings,
        )
        assert done.status is DeliveryStatus.DELIVERED
        finished = s.scalars(select(Item).where(Item.tracking_code == result_code)).one()
        assert finished.phase is Phase.DELIVERED and finished.custodian_is_citizen
        delivered = s.scalars(
            select(CustodyEvent).where(
                CustodyEvent.item_id == finished.id, CustodyEvent.kind == EventKind.DELIVERED
            )
        ).one()
        assert delivered.server_time.astimezone(VN_TZ).date() == FRI_12_FEB
        kinds = [
            str(e.kind)
            for e in s.scalars(
                select(CustodyEvent)
                .where(col(CustodyEvent.item_id).in_([item.id, finished.id]))
                .order_by(col(CustodyEvent.server_time), col(CustodyEvent.id))
            )
        ]
    assert kinds == [
        "accepted",
        "handover_offered",
        "handover_confirmed",
        "handover_offered",
        "handover_confirmed",
        "handover_offered",
        "delivered_to_agency",
        "result_ready",
        "handover_offered",
        "result_collected",
        "out_for_delivery",
        "delivered",
    ]

    # The notices: each once per medium, in the order of the journey.
    notices = outbox(engine)[before:]
    sms = [(n.kind, n.dedupe_key) for n in notices if str(n.medium) == "sms"]
    email = [(n.kind, n.dedupe_key) for n in notices if str(n.medium) == "email"]
    assert [k for k, _ in sms] == ["result_ready", "delivery_scheduled", "delivery_reminder"]
    assert sms == email  # the citizen gave an email address too
    assert len({key for _, key in sms}) == len(sms)
    assert (
        "delivery_reminder",
        f"delivery-{booked.id}-reminder-2027-02-12",
    ) in sms
    scheduled = next(
        n for n in notices if n.kind == "delivery_scheduled" and str(n.medium) == "sms"
    )
    assert "12/02/2027" in scheduled.body and result_code in scheduled.body

    # Relayed through the file channel, each once, named by its outbox id.
    stats = relay_once(engine, settings, worker_id="journey")
    assert stats.failed == 0
    while stats.claimed:
        stats = relay_once(engine, settings, worker_id="journey")
    sent = outbox(engine)[before:]
    assert {n.status for n in sent} == {OutboxStatus.SENT}
    folder = Path(outbox_dir(settings))
    for n in sent:
        suffix = ".json" if str(n.medium) == "sms" else ".eml"
        assert (folder / f"outbox-{n.id}{suffix}").is_file(), f"no file for outbox #{n.id}"
    sms_files = [json.loads(p.read_text()) for p in folder.glob("*.json")]
    assert any("12/02/2027" in str(f) for f in sms_files)

    # The citizen follows it on the public page.
    limiter.reset()
    b = Browser(app.test_client())
    page = b.post("/track", {"code": result_code, "phone_digits": "4321"}, csrf="/track").get_data(
        as_text=True
    )
    assert result_code in page and "L. V. Sùng" in page
