"""Manifests through the service: build, offer, receive and reconcile, on a
real database (SQLite, or PostgreSQL when configured)."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from postal_tracker import s10
from postal_tracker.auth.models import Role
from postal_tracker.custody.errors import IdempotencyMismatch
from postal_tracker.custody.ledger import record
from postal_tracker.custody.rules import EventKind, Phase
from postal_tracker.db import transaction
from postal_tracker.errors import DomainError
from postal_tracker.manifests import service
from postal_tracker.manifests.models import ManifestStatus
from tests.custody.helpers import actor, add_user, scan, unit, user
from tests.manifests.helpers import (
    GIVER,
    GIVER_OFFICE,
    RECEIVER,
    alerts,
    built,
    cid,
    count,
    events,
    item,
    make_items,
    manifest,
    now,
    offered,
)


def test_bag_of_20_with_2_missing_and_1_extra(engine: sa.Engine) -> None:
    codes = make_items(engine, 21)
    bag, outsider = codes[:20], codes[20]
    ref = offered(engine, bag)
    missing = [bag[3], bag[17]]
    scanned = [c for c in bag if c not in missing] + [outsider]
    with transaction(engine) as s:
        result = service.receive_manifest(
            s, user(s, RECEIVER), manifest(s, ref), scanned, client_id=cid(), device_time=now()
        )
    assert sorted(result.confirmed) == sorted(set(bag) - set(missing))
    assert result.missing == tuple(missing)
    assert result.extra == (outsider,)
    assert result.conflict == ()
    with transaction(engine) as s:
        giver, receiver = user(s, GIVER), user(s, RECEIVER)
        for code in result.confirmed:
            it = item(s, code)
            assert (it.custodian_user_id, it.custodian_unit_id) == (
                receiver.id,
                unit(s, "BD-VONHAI").id,
            )
            assert it.phase is Phase.IN_TRANSIT and not it.disputed
            kinds = [e.kind for e in events(s, code)]
            assert kinds == [
                EventKind.ACCEPTED,
                EventKind.HANDOVER_OFFERED,
                EventKind.HANDOVER_CONFIRMED,
            ]
            offer, confirm = events(s, code)[1:]
            assert confirm.follows_event_id == offer.id
            assert confirm.data == {"manifest": ref}
        for code in missing:
            it = item(s, code)
            # Stays with the giver: nobody else holds it, it is not disputed.
            assert it.custodian_user_id == giver.id
            assert it.custodian_unit_id == unit(s, GIVER_OFFICE).id
            assert not it.disputed
            last = events(s, code)[-1]
            assert last.kind is EventKind.INCIDENT_OPENED
            assert last.actor_user_id == receiver.id
            assert last.data == {"incident": {"kind": "not_found"}, "manifest": ref}
        missing_alerts = alerts(s, "manifest_missing")
        assert [a.item_id for a in missing_alerts] == [item(s, c).id for c in missing]
        assert all(a.unit_id == unit(s, GIVER_OFFICE).id for a in missing_alerts)
        assert all(ref in a.message for a in missing_alerts)
        # The receiver may not see the extra item: it is only listed, untouched.
        assert [e.kind for e in events(s, outsider)] == [EventKind.ACCEPTED]
        assert item(s, outsider).custodian_user_id == giver.id
        assert alerts(s, "manifest_extra") == []
        m = manifest(s, ref)
        assert m.status is ManifestStatus.RECEIVED
        assert m.received_by_user_id == receiver.id
        outcomes = {c.tracking_code: c.outcome.value for c in service.checks_of(s, m)}
        assert list(outcomes.values()).count("confirmed") == 18
        assert outcomes[missing[0]] == outcomes[missing[1]] == "missing"
        assert outcomes[outsider] == "extra"
    assert count(engine, "manifest_check") == 21


def test_extra_item_the_receiver_may_see_gets_an_incident(engine: sa.Engine) -> None:
    codes = make_items(engine, 3)
    with transaction(engine) as s:
        # The third item is offered to the receiver on its own, outside the bag.
        record(
            s,
            actor(s, GIVER, GIVER_OFFICE),
            scan(codes[2], EventKind.HANDOVER_OFFERED, receiver_user_id=user(s, RECEIVER).id),
        )
    ref = offered(engine, codes[:2])
    unknown = s10.make("HC", 99_999_990 + 1)
    with transaction(engine) as s:
        result = service.receive_manifest(
            s,
            user(s, RECEIVER),
            manifest(s, ref),
            [*codes, unknown],
            client_id=cid(),
            device_time=now(),
        )
        assert result.extra == (codes[2], unknown)
        assert events(s, codes[2])[-1].kind is EventKind.INCIDENT_OPENED
        assert events(s, codes[2])[-1].data["incident"] == {"kind": "wrong_item"}
        assert [a.item_id for a in alerts(s, "manifest_extra")] == [item(s, codes[2]).id]


def test_receipt_retry_gets_the_first_answer_and_writes_nothing(engine: sa.Engine) -> None:
    codes = make_items(engine, 4)
    ref = offered(engine, codes[:3])
    client_id = cid()
    scanned = [codes[0], codes[1], codes[3]]
    with transaction(engine) as s:
        first = service.receive_manifest(
            s, user(s, RECEIVER), manifest(s, ref), scanned, client_id=client_id, device_time=now()
        )
    before = count(engine, "custody_event"), count(engine, "manifest_check"), count(engine, "alert")
    with transaction(engine) as s:
        again = service.receive_manifest(
            s,
            user(s, RECEIVER),
            manifest(s, ref),
            list(reversed(scanned)),  # the same scans, in another order
            client_id=client_id,
            device_time=now(),
        )
    assert again.replayed and not first.replayed
    assert again.as_json() == first.as_json()
    after = count(engine, "custody_event"), count(engine, "manifest_check"), count(engine, "alert")
    assert after == before
    with pytest.raises(IdempotencyMismatch), transaction(engine) as s:
        service.receive_manifest(
            s,
            user(s, RECEIVER),
            manifest(s, ref),
            codes[:3],
            client_id=client_id,
            device_time=now(),
        )
    with pytest.raises(DomainError) as err, transaction(engine) as s:
        service.receive_manifest(
            s, user(s, RECEIVER), manifest(s, ref), scanned, client_id=cid(), device_time=now()
        )
    assert err.value.code == "already_received" and err.value.status == 409
    assert count(engine, "custody_event") == before[0]


def test_offer_retry_is_idempotent(engine: sa.Engine) -> None:
    codes = make_items(engine, 2)
    ref = built(engine, codes)
    client_id = cid()
    for _ in range(2):
        with transaction(engine) as s:
            to = service.find_receiver(s, RECEIVER, "")
            m = service.offer_manifest(
                s,
                user(s, GIVER),
                manifest(s, ref),
                to,
                client_id=client_id,
                device_time=now(),
                issuer=None,
            )
            assert m.status is ManifestStatus.OFFERED
    with transaction(engine) as s:
        for code in codes:
            assert [e.kind for e in events(s, code)] == [
                EventKind.ACCEPTED,
                EventKind.HANDOVER_OFFERED,
            ]
            assert item(s, code).offered_to_user_id == user(s, RECEIVER).id
            assert item(s, code).custodian_user_id == user(s, GIVER).id
    with pytest.raises(IdempotencyMismatch), transaction(engine) as s:
        to = service.find_receiver(s, "buuta.donghy", "")
        service.offer_manifest(
            s,
            user(s, GIVER),
            manifest(s, ref),
            to,
            client_id=client_id,
            device_time=now(),
            issuer=None,
        )


def _add_error(engine: sa.Engine, ref: str, code: str, username: str = GIVER) -> DomainError:
    with pytest.raises(DomainError) as err, transaction(engine) as s:
        service.add_item(s, user(s, username), manifest(s, ref), code)
    return err.value


def test_adding_bad_items_is_refused_with_a_clear_reason(engine: sa.Engine) -> None:
    codes = make_items(engine, 4)
    ref = built(engine, [codes[0]])
    good = codes[1]
    bad_digit = good[:10] + str((int(good[10]) + 1) % 10) + good[11:]
    assert _add_error(engine, ref, bad_digit).code == "check_digit"
    assert _add_error(engine, ref, bad_digit).field == "code"
    assert _add_error(engine, ref, "HELLO").code == "format"
    assert _add_error(engine, ref, s10.make("HC", 99_999_991)).code == "not_held"
    # Held by someone else: the same answer as an unknown code.
    with transaction(engine) as s:
        other = add_user(s, "canbo.khac", Role.COMMUNE_OFFICER, GIVER_OFFICE)
        other_ref = service.create_manifest(s, other, client_id=cid()).reference
    assert _add_error(engine, other_ref, good, "canbo.khac").code == "not_held"
    # Already in another open manifest.
    assert _add_error(engine, built(engine, []), codes[0]).code == "in_other_manifest"
    # Disputed: a stale confirmation disputes it.
    with transaction(engine) as s:
        giver = actor(s, GIVER, GIVER_OFFICE)
        first = record(
            s,
            giver,
            scan(codes[2], EventKind.HANDOVER_OFFERED, receiver_user_id=user(s, RECEIVER).id),
        )
        record(s, giver, scan(codes[2], EventKind.ARRIVED))
        record(
            s,
            actor(s, RECEIVER),
            scan(codes[2], EventKind.HANDOVER_CONFIRMED, follows=first.event_id),
        )
        assert item(s, codes[2]).disputed
    assert _add_error(engine, ref, codes[2]).code == "disputed"
    # Only the giver changes the manifest.
    assert _add_error(engine, ref, good, RECEIVER).code == "not_giver"
    # Adding twice gives the same line; nothing was written by the refusals.
    with transaction(engine) as s:
        m = manifest(s, ref)
        line = service.add_item(s, user(s, GIVER), m, good)
        assert service.add_item(s, user(s, GIVER), m, good.lower()).id == line.id
        assert [i.tracking_code for _, i in service.listed_items(s, m)] == [codes[0], good]


def test_removing_an_item_keeps_the_line_and_frees_the_item(engine: sa.Engine) -> None:
    codes = make_items(engine, 2)
    ref = built(engine, codes)
    with transaction(engine) as s:
        service.remove_item(s, user(s, GIVER), manifest(s, ref), codes[0])
    assert count(engine, "manifest_line") == 2
    with transaction(engine) as s:
        assert [i.tracking_code for _, i in service.listed_items(s, manifest(s, ref))] == [codes[1]]
    # Free for another manifest now.
    built(engine, [codes[0]])
    with pytest.raises(DomainError) as err, transaction(engine) as s:
        service.remove_item(s, user(s, GIVER), manifest(s, ref), codes[0])
    assert err.value.code == "not_listed"


def test_nothing_changes_after_the_offer(engine: sa.Engine) -> None:
    codes = make_items(engine, 2)
    ref = offered(engine, codes[:1])
    assert _add_error(engine, ref, codes[1]).code == "not_open"
    with pytest.raises(DomainError) as err, transaction(engine) as s:
        service.remove_item(s, user(s, GIVER), manifest(s, ref), codes[0])
    assert err.value.code == "not_open"


def test_receiving_is_for_the_receiver_only_and_needs_scans(engine: sa.Engine) -> None:
    codes = make_items(engine, 1)
    ref = offered(engine, codes)
    for who in ("buuta.donghy", GIVER):
        with pytest.raises(DomainError) as err, transaction(engine) as s:
            service.receive_manifest(
                s, user(s, who), manifest(s, ref), codes, client_id=cid(), device_time=now()
            )
        assert err.value.code == "not_receiver"
    with pytest.raises(DomainError) as err, transaction(engine) as s:
        service.receive_manifest(
            s, user(s, RECEIVER), manifest(s, ref), [], client_id=cid(), device_time=now()
        )
    assert err.value.code == "empty"
    with pytest.raises(DomainError) as err:
        service.parse_codes(["", "  "])
    assert err.value.field == "codes"
    with pytest.raises(DomainError) as err:
        service.parse_codes([codes[0], "HC000000000VN"])
    assert err.value.field == "codes.1"
    assert count(engine, "manifest_check") == 0


def test_offer_to_an_office_lets_any_member_receive(engine: sa.Engine) -> None:
    codes = make_items(engine, 2)
    ref = built(engine, codes)
    with transaction(engine) as s:
        to = service.find_receiver(s, "", "BD-VONHAI")
        service.offer_manifest(
            s, user(s, GIVER), manifest(s, ref), to, client_id=cid(), device_time=now(), issuer=None
        )
        colleague = add_user(s, "buuta.vonhai2", Role.POSTAL_WORKER, "BD-VONHAI")
        _, incoming = service.manifests_of(s, colleague)
        assert [m.reference for m in incoming] == [ref]
    with transaction(engine) as s:
        result = service.receive_manifest(
            s, user(s, "buuta.vonhai2"), manifest(s, ref), codes, client_id=cid(), device_time=now()
        )
        assert set(result.confirmed) == set(codes)
        assert item(s, codes[0]).custodian_unit_id == unit(s, "BD-VONHAI").id


def test_an_item_moved_after_the_offer_becomes_a_conflict(engine: sa.Engine) -> None:
    codes = make_items(engine, 2)
    ref = offered(engine, codes)
    with transaction(engine) as s:
        record(s, actor(s, GIVER, GIVER_OFFICE), scan(codes[0], EventKind.DEPARTED))
    with transaction(engine) as s:
        result = service.receive_manifest(
            s, user(s, RECEIVER), manifest(s, ref), codes, client_id=cid(), device_time=now()
        )
        assert result.conflict == (codes[0],) and result.confirmed == (codes[1],)
        it = item(s, codes[0])
        assert it.disputed and it.custodian_user_id == user(s, GIVER).id


def test_visibility(engine: sa.Engine) -> None:
    codes = make_items(engine, 1)
    ref = offered(engine, codes)
    with transaction(engine) as s:
        for who in (GIVER, RECEIVER, "giamsat"):
            assert service.visible_manifest(s, user(s, who), ref) is not None, who
        for who in ("buuta.donghy", "canbo.trungvuong", "chuyenvien.sct"):
            assert service.visible_manifest(s, user(s, who), ref) is None, who
        assert service.visible_manifest(s, user(s, GIVER), "BK-NOSUCH") is None


def test_the_database_refuses_to_delete_manifest_rows(engine: sa.Engine) -> None:
    codes = make_items(engine, 1)
    ref = offered(engine, codes)
    with transaction(engine) as s:
        service.receive_manifest(
            s, user(s, RECEIVER), manifest(s, ref), codes, client_id=cid(), device_time=now()
        )
    for sql in (
        "DELETE FROM manifest",
        "DELETE FROM manifest_line",
        "DELETE FROM manifest_check",
        "UPDATE manifest_check SET outcome = 'missing'",
    ):
        with pytest.raises(DBAPIError), engine.begin() as conn:
            conn.execute(sa.text(sql))
    assert count(engine, "manifest_check") == 1


def test_split_is_pure_and_keeps_order() -> None:
    from postal_tracker.manifests.reconcile import split

    parts = split(["A", "B", "C"], ["C", "X", "A", "X"])
    assert parts.scanned_listed == ("A", "C")
    assert parts.missing == ("B",)
    assert parts.extra == ("X",)


def test_two_colleagues_receiving_at_once_cannot_dispute_the_bag(engine: sa.Engine) -> None:
    """Both members of the receiving office scan the bag in at the same moment:
    one receipt wins, the other is told the bag was received; nothing is
    disputed (the manifest row is locked before the items)."""
    codes = make_items(engine, 5)
    ref = built(engine, codes)
    with transaction(engine) as s:
        to = service.find_receiver(s, "", "BD-VONHAI")
        service.offer_manifest(
            s, user(s, GIVER), manifest(s, ref), to, client_id=cid(), device_time=now(), issuer=None
        )
        add_user(s, "buuta.vonhai2", Role.POSTAL_WORKER, "BD-VONHAI")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    # SQLite takes its write lock at a transaction's first statement (BEGIN
    # IMMEDIATE), so there the two can only start together, then queue.
    sqlite = engine.dialect.name == "sqlite"

    def receive(username: str) -> None:
        try:
            if sqlite:
                barrier.wait(timeout=10)
            with transaction(engine) as s:
                m = manifest(s, ref)
                if not sqlite:
                    # Both have read the bag as offered before either writes.
                    barrier.wait(timeout=10)
                service.receive_manifest(
                    s, user(s, username), m, codes, client_id=cid(), device_time=now()
                )
            outcomes.append("received")
        except DomainError as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=receive, args=(u,)) for u in (RECEIVER, "buuta.vonhai2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["already_received", "received"]
    with transaction(engine) as s:
        for code in codes:
            it = item(s, code)
            assert not it.disputed
            assert it.custodian_unit_id == unit(s, "BD-VONHAI").id
            assert [e.kind for e in events(s, code)][-1] is EventKind.HANDOVER_CONFIRMED
    assert count(engine, "manifest_check") == 5
