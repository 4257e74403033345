"""The result: a new item opened with ``result_ready`` in the clerk's custody,
its details, a notice to the citizen; then handed to the post."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import select

from postal_tracker import s10
from postal_tracker.agency import queries, service
from postal_tracker.agency.models import AgencyResult, ResultKind
from postal_tracker.custody.errors import LedgerError
from postal_tracker.custody.ledger import record
from postal_tracker.custody.models import CustodyEvent, Item, ItemKind
from postal_tracker.custody.rules import EventKind, Phase
from postal_tracker.db import transaction
from postal_tracker.errors import DomainError, NotFound
from postal_tracker.intake.models import Dossier
from postal_tracker.notify.models import Medium, OutboxMessage
from tests.agency.conftest import CLERK, OTHER_CLERK, counts, offered_to_sct, received_at_sct
from tests.custody.helpers import VN, actor, scan, unit, user

DETAILS = service.ResultDetails(
    kind=ResultKind.PERMIT,
    document_number="125/GP-SCT",
    signer="Trần Văn Quyết",
    signed_on=date(2026, 11, 20),
)


def record_result(
    s: sa.orm.Session,
    item: Item,
    details: service.ResultDetails = DETAILS,
    username: str = CLERK,
) -> tuple[AgencyResult, Item]:
    return service.record_result(
        s,
        user(s, username),
        item.dossier_id,
        details,
        client_id=str(uuid.uuid4()),
        device_time=datetime.now(VN),
        tracking_prefix="HC",
    )


def test_result_ready_opens_a_result_item_with_the_clerk(engine: sa.Engine) -> None:
    with transaction(engine) as s:
        packet = received_at_sct(s)
        dossier = s.get(Dossier, packet.dossier_id)
        assert dossier is not None
        dossier.sender_email = "thao.nguyen@example.vn"
        result, item = record_result(s, packet)
    with transaction(engine) as s:
        item = s.get(Item, item.id) or item
        clerk, sct = user(s, CLERK), unit(s, "SCT")
        assert s10.is_valid(item.tracking_code) and item.tracking_code.startswith("HC")
        assert item.tracking_code != packet.tracking_code
        assert (item.kind, item.phase, item.dossier_id) == (
            ItemKind.RESULT,
            Phase.RESULT_READY,
            packet.dossier_id,
        )
        assert (item.custodian_user_id, item.custodian_unit_id) == (clerk.id, sct.id)
        events = s.scalars(select(CustodyEvent).where(CustodyEvent.item_id == item.id)).all()
        assert [e.kind for e in events] == [EventKind.RESULT_READY]
        assert events[0].data["document_number"] == "125/GP-SCT"
        stored = s.scalars(select(AgencyResult).where(AgencyResult.item_id == item.id)).one()
        assert (stored.kind, stored.document_number, stored.signer, stored.signed_on) == (
            ResultKind.PERMIT,
            "125/GP-SCT",
            "Trần Văn Quyết",
            date(2026, 11, 20),
        )
        assert stored.id == result.id
        # One notice per way the citizen can be reached, in the same transaction.
        notices = s.scalars(
            select(OutboxMessage).where(OutboxMessage.dossier_id == packet.dossier_id)
        ).all()
        assert sorted((n.medium, n.recipient) for n in notices) == [
            (Medium.EMAIL, "thao.nguyen@example.vn"),
            (Medium.SMS, "+84912345678"),
        ]
        for notice in notices:
            assert notice.kind == "result_ready"
            assert notice.dedupe_key == f"result_ready:{item.id}"
            assert notice.context == {
                "tracking_code": item.tracking_code,
                "procedure_name": "Cấp giấy phép",
            }
            assert item.tracking_code in notice.body
        # The dossier packet stays at the agency; the board lists the result, not the dossier.
        assert (s.get(Item, packet.id) or packet).phase is Phase.AT_AGENCY
        board = queries.dashboard(s, clerk, datetime.now(VN).date())
        assert [r.item.id for r in board.results] == [item.id]
        assert packet.id not in [r.item.id for r in board.at_agency]


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"signed_on": "tomorrow"}, "signed_on", "future"),
        ({"document_number": "   "}, "document_number", "required"),
        ({"signer": ""}, "signer", "required"),
    ],
)
def test_bad_results_write_nothing(
    engine: sa.Engine, change: dict[str, str], field: str, code: str
) -> None:
    values = {
        "kind": DETAILS.kind,
        "document_number": DETAILS.document_number,
        "signer": DETAILS.signer,
        "signed_on": DETAILS.signed_on,
    }
    for key, value in change.items():
        values[key] = datetime.now(VN).date() + timedelta(days=1) if value == "tomorrow" else value
    with transaction(engine) as s:
        packet = received_at_sct(s)
    with transaction(engine) as s:
        before = counts(s)
        with pytest.raises(DomainError) as refused:
            record_result(s, packet, service.ResultDetails(**values))  # type: ignore[arg-type]
        assert (refused.value.field, refused.value.code) == (field, code)
        assert counts(s) == before


def test_a_result_for_a_dossier_not_at_the_agency_is_refused(engine: sa.Engine) -> None:
    with transaction(engine) as s:
        packet = offered_to_sct(s)  # still with the commune officer
        before = counts(s)
        with pytest.raises(DomainError) as refused:
            record_result(s, packet)
        assert refused.value.code == "not_at_agency"
        assert counts(s) == before


def test_a_second_result_is_refused(engine: sa.Engine) -> None:
    with transaction(engine) as s:
        packet = received_at_sct(s)
        record_result(s, packet)
        before = counts(s)
        with pytest.raises(DomainError) as refused:
            record_result(s, packet)
        assert refused.value.code == "result_exists"
        assert counts(s) == before


def test_another_agencys_dossier_is_not_found(engine: sa.Engine) -> None:
    with transaction(engine) as s:
        packet = received_at_sct(s)
        before = counts(s)
        for username in (OTHER_CLERK, "canbo.trangxa", "giamsat"):
            with pytest.raises(NotFound):
                record_result(s, packet, username=username)
        assert counts(s) == before


def test_the_result_is_offered_to_the_post_and_collected_by_scan(engine: sa.Engine) -> None:
    with transaction(engine) as s:
        packet = received_at_sct(s)
        _, item = record_result(s, packet)
        worker = user(s, "buuta.vonhai")
        assert item.id is not None
        answer = service.offer_result(
            s,
            user(s, CLERK),
            item.id,
            service.Receiver(user_id=worker.id, unit_id=None),
            follows=item.head_event_id,
            client_id=str(uuid.uuid4()),
            device_time=datetime.now(VN),
        )
        assert answer.status == 201
        assert (item.offered_to_user_id, item.offered_to_unit_id) == (
            worker.id,
            unit(s, "BD-VONHAI").id,
        )
        board = queries.dashboard(s, user(s, CLERK), datetime.now(VN).date())
        assert [r.offered_to for r in board.results] == [worker.full_name]
        collected = record(
            s,
            actor(s, "buuta.vonhai"),
            scan(item, EventKind.RESULT_COLLECTED, follows=item.offer_event_id),
        )
        assert collected.status == 201
        assert item.phase is Phase.RETURNING and item.custodian_user_id == worker.id
        assert queries.dashboard(s, user(s, CLERK), datetime.now(VN).date()).results == []


@pytest.mark.parametrize("receiver", ["agency_clerk", "commune_office", "nobody"])
def test_a_result_goes_only_to_postal_staff(engine: sa.Engine, receiver: str) -> None:
    with transaction(engine) as s:
        _, item = record_result(s, received_at_sct(s))
        target = {
            "agency_clerk": service.Receiver(user(s, OTHER_CLERK).id, None),
            "commune_office": service.Receiver(None, unit(s, "MC-TRANGXA").id),
            "nobody": service.Receiver(None, None),
        }[receiver]
        before = counts(s)
        assert item.id is not None
        with pytest.raises(DomainError) as refused:
            service.offer_result(
                s,
                user(s, CLERK),
                item.id,
                target,
                follows=None,
                client_id=str(uuid.uuid4()),
                device_time=datetime.now(VN),
            )
        assert refused.value.code == "not_postal"
        assert counts(s) == before


def test_a_result_form_sent_twice_is_refused_by_its_client_id(engine: sa.Engine) -> None:
    with transaction(engine) as s:
        packet = received_at_sct(s)
        client_id = str(uuid.uuid4())
        args = dict(client_id=client_id, device_time=datetime.now(VN), tracking_prefix="HC")
        service.record_result(s, user(s, CLERK), packet.dossier_id, DETAILS, **args)  # type: ignore[arg-type]
        with pytest.raises((DomainError, LedgerError)):
            service.record_result(s, user(s, CLERK), packet.dossier_id, DETAILS, **args)  # type: ignore[arg-type]
