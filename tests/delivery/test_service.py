"""Scheduling, the run, proof of delivery, failed attempts, hold and return,
against the real database (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import base64
import io
from datetime import date, time, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from PIL import Image, ImageDraw
from sqlmodel import col, select

from postal_tracker.config import Settings
from postal_tracker.custody.models import Alert, CustodyEvent, Item
from postal_tracker.custody.rules import EventKind, Phase
from postal_tracker.db import transaction
from postal_tracker.delivery import service
from postal_tracker.delivery.models import (
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    DeliveryWorker,
    FailureAction,
    FailureReason,
    Relation,
)
from postal_tracker.delivery.scheduling import schedule_ready_results
from postal_tracker.errors import DomainError, NotFound
from postal_tracker.notify.models import OutboxMessage
from postal_tracker.proof_images import path_of
from tests.delivery.helpers import returning_result, user

MONDAY = date(2027, 1, 25)


def make_result(engine: sa.Engine, **kw: object) -> str:
    with transaction(engine) as s:
        return returning_result(s, **kw).tracking_code  # type: ignore[arg-type]


def deliveries(engine: sa.Engine, code: str) -> list[Delivery]:
    with transaction(engine) as s:
        item = s.scalars(select(Item).where(Item.tracking_code == code)).one()
        return list(
            s.scalars(
                select(Delivery).where(Delivery.item_id == item.id).order_by(col(Delivery.id))
            )
        )


def events(engine: sa.Engine, code: str) -> list[CustodyEvent]:
    with transaction(engine) as s:
        item = s.scalars(select(Item).where(Item.tracking_code == code)).one()
        return list(
            s.scalars(
                select(CustodyEvent)
                .where(CustodyEvent.item_id == item.id)
                .order_by(col(CustodyEvent.seq))
            )
        )


def notices(engine: sa.Engine, kind: str) -> list[OutboxMessage]:
    with transaction(engine) as s:
        return list(s.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)))


def signature() -> str:
    image = Image.new("RGBA", (300, 100), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(10, 80), (150, 20), (290, 70)], fill=(0, 0, 0, 255), width=4)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def blank_signature() -> str:
    out = io.BytesIO()
    Image.new("RGBA", (300, 100), (0, 0, 0, 0)).save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def photo_with_exif() -> bytes:
    image = Image.new("RGB", (64, 48), (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def proof(**kw: object) -> service.Proof:
    values: dict[str, object] = {
        "recipient_name": "Lâm Văn Sùng",
        "relation": Relation.SELF,
        "authorisation_ref": "",
        "id_last_digits": "",
        "signature_data_url": signature(),
        "photo": None,
        "originals_returned": True,
        "originals_note": "",
    }
    values.update(kw)
    return service.Proof(**values)  # type: ignore[arg-type]


def scheduled_and_out(engine: sa.Engine, settings: Settings, **kw: object) -> tuple[str, int]:
    code = make_result(engine, **kw)
    assert schedule_ready_results(engine, MONDAY, settings) >= 1
    with transaction(engine) as s:
        started = service.start_run(s, user(s, "buuta.vonhai"), MONDAY, settings)
        assert started.out
    [d] = deliveries(engine, code)
    assert d.id is not None
    return code, d.id


def test_a_ready_result_is_scheduled_on_the_first_route_day_once(
    engine: sa.Engine, settings: Settings, routes: None
) -> None:
    code = make_result(engine)
    tuesday = MONDAY + timedelta(days=1)
    assert schedule_ready_results(engine, tuesday, settings) == 1
    assert schedule_ready_results(engine, tuesday, settings) == 0
    [d] = deliveries(engine, code)
    assert d.scheduled_on == MONDAY + timedelta(days=2)  # Wednesday
    assert (d.window_start, d.window_end) == (time(8), time(11, 30))
    assert d.kind is DeliveryKind.HOME and d.status is DeliveryStatus.SCHEDULED
    [notice] = [n for n in notices(engine, "delivery_scheduled") if n.medium == "sms"]
    assert code in notice.body and "27/01/2027" in notice.body
    assert "/c/" in notice.context["link"]


def test_pickup_and_tet_and_overflow(engine: sa.Engine, settings: Settings, routes: None) -> None:
    with transaction(engine) as s:
        worker = s.scalars(
            select(DeliveryWorker).where(DeliveryWorker.user_id == user(s, "buuta.vonhai").id)
        ).one()
        worker.daily_capacity = 1
    pickup = make_result(engine, pickup=True)
    home = make_result(engine)
    # Thursday 4 February 2027 is the eve of Tết: the next Monday-Wednesday-
    # Friday route days that are working days are 12 and 15 February.
    assert schedule_ready_results(engine, date(2027, 2, 4), settings) == 2
    [p], [h] = deliveries(engine, pickup), deliveries(engine, home)
    assert p.kind is DeliveryKind.PICKUP and p.scheduled_on == date(2027, 2, 12)
    assert h.kind is DeliveryKind.HOME and h.scheduled_on == date(2027, 2, 15)


def test_a_commune_without_route_waits(engine: sa.Engine, settings: Settings) -> None:
    make_result(engine)
    assert schedule_ready_results(engine, MONDAY, settings) == 0


def test_start_run_records_out_for_delivery_only_for_items_in_hand(
    engine: sa.Engine, settings: Settings, routes: None
) -> None:
    mine = make_result(engine)
    elsewhere = make_result(engine, collect=False)  # still at the agency: not RETURNING
    elsewhere_rows = deliveries(engine, elsewhere)
    assert schedule_ready_results(engine, MONDAY, settings) == 1
    assert elsewhere_rows == []
    with transaction(engine) as s:
        started = service.start_run(s, user(s, "buuta.vonhai"), MONDAY, settings)
        assert len(started.out) == 1
    with transaction(engine) as s:
        again = service.start_run(s, user(s, "buuta.vonhai"), MONDAY, settings)
        assert again.out == [] and again.held == []
    assert [e.kind for e in events(engine, mine)][-1] is EventKind.OUT_FOR_DELIVERY
    [d] = deliveries(engine, mine)
    assert d.status is DeliveryStatus.OUT


def test_a_pickup_is_left_at_the_post_point_and_collected_with_proof(
    engine: sa.Engine, settings: Settings, routes: None
) -> None:
    code = make_result(engine, pickup=True)
    schedule_ready_results(engine, MONDAY, settings)
    with transaction(engine) as s:
        started = service.start_run(s, user(s, "buuta.vonhai"), MONDAY, settings)
        assert len(started.held) == 1
    [d] = deliveries(engine, code)
    # Ten working days, Tết not counted.
    assert d.status is DeliveryStatus.HELD and d.hold_until == date(2027, 2, 15)
    assert notices(engine, "held_for_pickup")
    with transaction(engine) as s:
        service.record_delivery(s, user(s, "buuta.vonhai"), d.id or 0, proof(), settings)
    assert events(engine, code)[-1].kind is EventKind.DELIVERED


def test_proof_of_delivery(engine: sa.Engine, settings: Settings, routes: None) -> None:
    code, delivery_id = scheduled_and_out(engine, settings, id_number="001234567890")
    with transaction(engine) as s:
        service.record_delivery(
            s,
            user(s, "buuta.vonhai"),
            delivery_id,
            proof(id_last_digits="7890", photo=photo_with_exif(), relation=Relation.FAMILY),
            settings,
        )
    [d] = deliveries(engine, code)
    assert d.status is DeliveryStatus.DELIVERED and d.id_checked and d.relation is Relation.FAMILY
    event = events(engine, code)[-1]
    assert event.kind is EventKind.DELIVERED
    assert event.data["signature_sha256"] == d.signature_sha256
    assert event.data["photo_sha256"] == d.photo_sha256
    folder = service.proof_folder(settings)
    sig = path_of(folder, d.signature_sha256, ".png")
    photo = path_of(folder, d.photo_sha256, ".jpg")
    import hashlib

    assert hashlib.sha256(sig.read_bytes()).hexdigest() == d.signature_sha256
    with Image.open(photo) as image:
        assert image.format == "JPEG" and not image.getexif()
    with transaction(engine) as s:
        item = s.scalars(select(Item).where(Item.tracking_code == code)).one()
        assert item.phase is Phase.DELIVERED and item.custodian_is_citizen


def _png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, format="GIF")
    return out.getvalue()


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"id_last_digits": "1111"}, "id_last_digits", "mismatch"),
        ({"id_last_digits": ""}, "id_last_digits", "required"),
        ({"recipient_name": "  "}, "recipient_name", "required"),
        ({"relation": Relation.AUTHORISED}, "authorisation_ref", "required"),
        ({"signature_data_url": ""}, None, "signature_missing"),
        ({"signature_data_url": "data:image/png;base64,AAAA"}, None, "signature_invalid"),
        ({"signature_data_url": "data:image/png;base64,###"}, None, "signature_invalid"),
        ({"signature_data_url": blank_signature()}, None, "signature_empty"),
        ({"photo": b"not an image at all"}, None, "photo_not_image"),
        ({"photo": _png_bytes()}, None, "photo_not_image"),  # a GIF
        ({"photo": b"\xff\xd8" + b"0" * (5 * 1024 * 1024)}, None, "photo_too_large"),
    ],
)
def test_bad_proof_writes_nothing(
    engine: sa.Engine,
    settings: Settings,
    routes: None,
    changes: dict[str, object],
    field: str | None,
    code: str,
) -> None:
    tracking, delivery_id = scheduled_and_out(engine, settings, id_number="001234567890")
    before = len(events(engine, tracking))
    with pytest.raises(DomainError) as refused, transaction(engine) as s:
        service.record_delivery(
            s,
            user(s, "buuta.vonhai"),
            delivery_id,
            proof(**{"id_last_digits": "7890", **changes}),
            settings,
        )
    assert refused.value.code == code
    if field:
        assert refused.value.field == field
    assert len(events(engine, tracking)) == before
    [d] = deliveries(engine, tracking)
    assert d.status is DeliveryStatus.OUT and d.signature_sha256 == ""
    assert not Path(service.proof_folder(settings)).exists()


def test_someone_elses_delivery_is_not_found(
    engine: sa.Engine, settings: Settings, routes: None
) -> None:
    _, delivery_id = scheduled_and_out(engine, settings)
    with pytest.raises(NotFound), transaction(engine) as s:
        service.record_delivery(s, user(s, "buuta.donghy"), delivery_id, proof(), settings)


def test_failures_then_hold_then_return(
    engine: sa.Engine, settings: Settings, routes: None
) -> None:
    code, delivery_id = scheduled_and_out(engine, settings)
    day = MONDAY
    for attempt in (1, 2, 3):
        with transaction(engine) as s:
            outcome = service.record_failure(
                s,
                user(s, "buuta.vonhai"),
                delivery_id,
                FailureReason.NOT_HOME,
                FailureAction.NOTICE_LEFT,
                "",
                day,
                settings,
            )
            if attempt < 3:
                assert outcome.next_attempt is not None and outcome.held is None
                day = outcome.next_attempt.scheduled_on
                assert day > MONDAY and day.weekday() in (0, 2, 4)
            else:
                assert outcome.next_attempt is None and outcome.held is not None
        if attempt < 3:
            with transaction(engine) as s:
                service.start_run(s, user(s, "buuta.vonhai"), day, settings)
            delivery_id = deliveries(engine, code)[-1].id or 0
    kinds = [e.kind for e in events(engine, code)]
    assert kinds.count(EventKind.DELIVERY_FAILED) == 3
    assert kinds[-1] is EventKind.HELD_FOR_PICKUP
    failed = [n for n in notices(engine, "delivery_failed") if n.medium == "sms"]
    assert len(failed) == 2 and failed[0].context["reason"] == "không có người nhận tại nhà"
    assert notices(engine, "held_for_pickup")
    held = deliveries(engine, code)[-1]
    assert held.status is DeliveryStatus.HELD and held.hold_until is not None
    # Not yet overdue: nothing offered.
    with transaction(engine) as s:
        assert service.offer_overdue_holds(s, held.hold_until) == 0
    with transaction(engine) as s:
        assert service.offer_overdue_holds(s, held.hold_until + timedelta(days=1)) == 1
    with transaction(engine) as s:
        assert service.offer_overdue_holds(s, held.hold_until + timedelta(days=2)) == 0
        assert s.scalars(select(Alert).where(Alert.kind == "delivery_return")).first()
        # Only the addressed agency's clerk sees it.
        assert service.returns_for(s, user(s, "chuyenvien.snv")) == []
        assert len(service.returns_for(s, user(s, "chuyenvien.sct"))) == 1
    with transaction(engine) as s:
        service.confirm_return(s, user(s, "chuyenvien.sct"), held.id or 0)
    assert events(engine, code)[-1].kind is EventKind.RETURNED_TO_AGENCY
    assert deliveries(engine, code)[-1].status is DeliveryStatus.RETURNED
    assert notices(engine, "returned_to_agency")
    with transaction(engine) as s:
        item = s.scalars(select(Item).where(Item.tracking_code == code)).one()
        assert item.phase is Phase.RETURNED


def test_other_reason_needs_a_note(engine: sa.Engine, settings: Settings, routes: None) -> None:
    code, delivery_id = scheduled_and_out(engine, settings)
    with pytest.raises(DomainError) as refused, transaction(engine) as s:
        service.record_failure(
            s,
            user(s, "buuta.vonhai"),
            delivery_id,
            FailureReason.OTHER,
            FailureAction.CALLED,
            " ",
            MONDAY,
            settings,
        )
    assert refused.value.field == "note"
    assert deliveries(engine, code)[0].status is DeliveryStatus.OUT


def test_the_jobs_command(app: Flask, engine: sa.Engine, routes: None) -> None:
    code = make_result(engine)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["delivery-jobs", "--today", MONDAY.isoformat()])
    assert result.exit_code == 0, result.output
    assert "1 result(s) scheduled, 0 hold(s) offered back." in result.output
    assert deliveries(engine, code)[0].scheduled_on == MONDAY
