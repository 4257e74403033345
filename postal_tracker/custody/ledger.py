"""Recording custody events: idempotent, serialised per item, hash-chained.

Services flush; the caller commits once. Every write is keyed by the client's
id: the same id with the same content gives back the first answer and writes
nothing; the same id with other content is refused (422).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col, select

from postal_tracker import pg_direct
from postal_tracker.clock import MAX_CLOCK_AHEAD
from postal_tracker.custody import rules
from postal_tracker.custody.chain import GENESIS, digest, event_hash
from postal_tracker.custody.errors import IdempotencyMismatch, ItemNotFound, Refused
from postal_tracker.custody.models import Alert, CustodyEvent, Item, ItemKind
from postal_tracker.custody.rules import Actor, EventKind, ItemState, Party, Phase, Proposal
from postal_tracker.db import utcnow

# A device clock this far ahead of the server is wrong, not early.


@dataclass(frozen=True)
class Scan:
    """What a client asks to record about one item."""

    client_id: str
    tracking_code: str
    kind: EventKind
    device_time: datetime  # aware, in the device's own offset
    follows: int | None = None
    receiver_user_id: int | None = None
    receiver_unit_id: int | None = None
    receiver_is_agency: bool = False
    new_custodian_user_id: int | None = None
    new_custodian_unit_id: int | None = None
    corrects: int | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def digest(self, actor: Actor) -> str:
        return digest(
            {
                # The acting unit is derived by the server from the item's
                # state, which a retry may find changed: not client content.
                "actor": actor.user_id,
                "code": self.tracking_code,
                "kind": str(self.kind),
                "device_time": self.device_time.isoformat(),
                "follows": self.follows,
                "receiver": [self.receiver_user_id, self.receiver_unit_id],
                "new_custodian": [self.new_custodian_user_id, self.new_custodian_unit_id],
                "corrects": self.corrects,
                "data": self.data,
            }
        )


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]
    replayed: bool = False
    event_id: int | None = None


def record(session: Session, actor: Actor, scan: Scan) -> Answer:
    """Record ``scan`` by ``actor``: 201, a replayed first answer, or a 409
    conflict that is itself recorded. Raises :class:`LedgerError` otherwise."""
    item = lock_item(session, scan.tracking_code)
    # Checked under the item's lock: a retry racing its original waits for it
    # and then finds it committed.
    earlier = previous_answer(session, actor, scan)
    if earlier:
        return earlier
    return record_locked(session, actor, scan, item)


def record_locked(session: Session, actor: Actor, scan: Scan, item: Item) -> Answer:
    """:func:`record` for an ``item`` the caller has locked with :func:`lock_item`
    in this transaction and for a ``scan`` whose client id it has checked with
    :func:`previous_answer` after taking the lock."""
    request_digest = scan.digest(actor)
    _check_device_time(scan.device_time)
    proposal = _proposal(actor, scan, offer_receiver(session, item, scan.follows))
    state = state_of(item)
    # The event id is not known before the insert; rules only need it as the
    # new head, which the projection takes from the inserted row below.
    try:
        decision = rules.decide(state, proposal, event_id=-1)
    except rules.RuleViolation as exc:
        raise Refused(exc.message, code=exc.code) from None
    if isinstance(decision, rules.Conflict):
        return _record_conflict(session, actor, scan, item, state, decision, request_digest)
    new = _new_event(
        item,
        actor,
        scan,
        decision.state,
        request_digest,
        status=201,
        counterpart=proposal.receiver or proposal.new_custodian,
    )
    return _append(session, item, new)


def _proposal(actor: Actor, scan: Scan, followed_offer_to: Party | None) -> Proposal:
    return Proposal(
        kind=scan.kind,
        actor=actor,
        follows=scan.follows,
        receiver=_party(scan.receiver_user_id, scan.receiver_unit_id),
        receiver_is_agency=scan.receiver_is_agency,
        new_custodian=_party(scan.new_custodian_user_id, scan.new_custodian_unit_id),
        corrects=scan.corrects,
        followed_offer_to=followed_offer_to,
    )


def previous_answer(session: Session, actor: Actor, scan: Scan) -> Answer | None:
    """The answer already given for ``scan.client_id``, if any (raises
    :class:`IdempotencyMismatch` if that id was used for other content)."""
    return _replay(session, scan.client_id, scan.digest(actor))


def open_item(
    session: Session,
    actor: Actor,
    item: Item,
    *,
    kind: EventKind,
    client_id: str,
    device_time: datetime,
    data: dict[str, Any] | None = None,
) -> CustodyEvent:
    """Record the first event of a new item (``accepted`` or ``result_ready``)."""
    scan = Scan(
        client_id=client_id,
        tracking_code=item.tracking_code,
        kind=kind,
        device_time=device_time,
        data=data or {},
    )
    request_digest = scan.digest(actor)
    if _replay(session, client_id, request_digest):
        raise IdempotencyMismatch("This form was already saved.", code="already_saved")
    try:
        decision = rules.decide(state_of(item), Proposal(kind=kind, actor=actor), event_id=-1)
    except rules.RuleViolation as exc:
        raise Refused(exc.message, code=exc.code) from None
    assert isinstance(decision, rules.Accept)
    new = _new_event(item, actor, scan, decision.state, request_digest, status=201)
    _append(session, item, new)
    event = session.get(CustodyEvent, item.head_event_id)
    assert event is not None
    return event


def lock_item(session: Session, tracking_code: str) -> Item:
    """The item, locked for this transaction (PostgreSQL row lock; SQLite
    transactions already hold the database's write lock from BEGIN)."""
    item = session.scalars(
        select(Item).where(Item.tracking_code == tracking_code).with_for_update()
    ).first()
    if item is None:
        raise ItemNotFound("No item has this tracking code.")
    return item


# Built once, so that only their cached compiled form is looked up per scan:
# the item and whether the client id was used, read (for record_if_unchanged)
# or locked (for lock_for_scan).
READ_FOR_SCAN = (
    select(Item, col(CustodyEvent.id))
    .outerjoin(CustodyEvent, col(CustodyEvent.client_id) == sa.bindparam("client_id"))
    .where(col(Item.tracking_code) == sa.bindparam("code"))
)
LOCK_FOR_SCAN = READ_FOR_SCAN.with_for_update(of=Item)
_LOCK_FOR_SCAN_PG = pg_direct.Statement(LOCK_FOR_SCAN)


def lock_for_scan(session: Session, tracking_code: str, client_id: str) -> tuple[Item, bool]:
    """:func:`lock_item`, and in the same statement whether an event was
    already recorded under ``client_id`` (then :func:`previous_answer` gives
    its answer).

    On PostgreSQL the event is looked for in the statement's snapshot, taken
    before waiting for the lock: an event committed by the transaction this one
    waited for is not seen. Nothing is lost by that: its client id then makes
    this transaction's insert fail (unique), and a caller that answers anything
    but success must first look again with :func:`previous_answer`, a new
    statement after the lock, which sees it."""
    params = {"code": tracking_code, "client_id": client_id}
    if pg_direct.applies(session):
        rows = pg_direct.execute(session, _LOCK_FOR_SCAN_PG, params)
        return item_from_rows(rows)
    row = session.execute(LOCK_FOR_SCAN, params).first()
    if row is None:
        raise ItemNotFound("No item has this tracking code.")
    return row[0], row[1] is not None


_ITEM_COLUMNS = [c.name for c in Item.metadata.tables["item"].c]


def item_from_rows(rows: list[pg_direct.Row]) -> tuple[Item, bool]:
    """The item and whether the client id was used, from the driver's rows of
    :data:`LOCK_FOR_SCAN` or :data:`READ_FOR_SCAN`."""
    if not rows or rows[0][0] is None:  # no row, or none joined
        raise ItemNotFound("No item has this tracking code.")
    *columns, event_id = rows[0]
    values = dict(zip(_ITEM_COLUMNS, columns, strict=True))
    values["kind"] = ItemKind(values["kind"])
    values["phase"] = Phase(values["phase"])
    values["created_at"] = pg_direct.aware(values["created_at"])
    values["custody_since"] = pg_direct.aware(values["custody_since"])
    # Made as SQLAlchemy makes a loaded object (Item(...) would validate and
    # record each value as a change), but not attached to the session: the
    # ledger writes the item's projection itself.
    item = sa.inspect(Item).class_manager.new_instance()
    item.__dict__.update(values)
    return item, event_id is not None


def state_of(item: Item) -> ItemState:
    """The custody state held in the item's projection columns."""
    if item.phase is Phase.NEW:
        return ItemState()
    custodian = (
        rules.CITIZEN
        if item.custodian_is_citizen
        else Party(item.custodian_user_id, item.custodian_unit_id)
    )
    offer = None
    if item.offer_event_id is not None:
        offer = rules.Offer(
            event_id=item.offer_event_id,
            giver=custodian,
            receiver=Party(item.offered_to_user_id, item.offered_to_unit_id),
            receiver_is_agency=item.offered_to_agency,
        )
    return ItemState(
        phase=Phase(item.phase),
        custodian=custodian,
        offer=offer,
        disputed=item.disputed,
        head_event_id=item.head_event_id,
    )


def _projection(item: Item, state: ItemState, fields: dict[str, Any]) -> dict[str, Any]:
    """The item's projection columns after the event with ``fields``, but for the
    ones naming the event's own id, which the insert gives (see :func:`_write`)."""
    assert state.custodian is not None
    moved = (
        item.custodian_user_id != state.custodian.user_id
        or item.custodian_unit_id != state.custodian.unit_id
        or item.custodian_is_citizen != state.custodian.citizen
    )
    offer = state.offer
    return {
        "phase": state.phase,
        "custodian_user_id": state.custodian.user_id,
        "custodian_unit_id": state.custodian.unit_id,
        "custodian_is_citizen": state.custodian.citizen,
        # An offer made by this very event is named by the event's id.
        "offer_event_id": offer.event_id if offer else None,
        "offered_to_user_id": offer.receiver.user_id if offer else None,
        "offered_to_unit_id": offer.receiver.unit_id if offer else None,
        "offered_to_agency": offer.receiver_is_agency if offer else False,
        "disputed": state.disputed,
        "head_event_id": -1,
        "head_hash": fields["hash"],
        "event_count": fields["seq"],
        "custody_since": fields["server_time"]
        if moved or item.custody_since is None
        else item.custody_since,
    }


_EVENTS = CustodyEvent.metadata.tables["custody_event"]
_ITEMS = Item.metadata.tables["item"]
# Built once: SQLAlchemy caches their compiled form, and the unit of work is not
# needed for one row each (the item's loaded object is updated in place).
_INSERT_EVENT = sa.insert(_EVENTS).returning(_EVENTS.c.id)
_UPDATE_ITEM = sa.update(_ITEMS).where(_ITEMS.c.id == sa.bindparam("item_id_"))
_PROJECTED = [
    c for c in _ITEMS.c if c.name not in ("id", "tracking_code", "dossier_id", "kind", "created_at")
]


def _projection_values(new_id: sa.ScalarSelect[Any]) -> dict[str, Any]:
    """The item's projection columns as the PostgreSQL statements set them:
    from the ``p_`` parameters, the head (and a new offer) from ``new_id``."""
    values: dict[str, Any] = {c.name: sa.bindparam("p_" + c.name, type_=c.type) for c in _PROJECTED}
    values["head_event_id"] = new_id
    values["offer_event_id"] = sa.case(
        (sa.bindparam("offer_is_new", type_=sa.Boolean), new_id),
        else_=sa.bindparam("p_offer_event_id", type_=sa.Integer),
    )
    return values


def _insert_and_project() -> sa.Update:
    """PostgreSQL: the event and the item's projection in one statement (one
    round trip), the event's new id going into the item's head (and offer)."""
    new_event = (
        sa.insert(_EVENTS)
        .values(
            {c.name: sa.bindparam("e_" + c.name, type_=c.type) for c in _EVENTS.c if c.name != "id"}
        )
        .returning(_EVENTS.c.id)
        .cte("new_event")
    )
    return (
        sa.update(_ITEMS)
        .where(_ITEMS.c.id == sa.bindparam("item_id_"))
        .values(_projection_values(sa.select(new_event.c.id).scalar_subquery()))
        .returning(_ITEMS.c.head_event_id)
        .add_cte(new_event)
    )


_INSERT_AND_PROJECT_PG = pg_direct.Statement(_insert_and_project())


def _insert_if_unchanged() -> sa.Insert:
    """PostgreSQL: the item's projection, only if its event count is still the
    one read, and then (and only then) the event, its id drawn beforehand
    from the events' sequence, in one statement (see record_if_unchanged)."""
    new_id = sa.select(
        sa.literal_column("nextval(pg_get_serial_sequence('custody_event', 'id'))").label("id")
    ).cte("new_id")
    moved = (
        sa.update(_ITEMS)
        .where(
            _ITEMS.c.id == sa.bindparam("item_id_"),
            _ITEMS.c.event_count == sa.bindparam("expected_count", type_=sa.Integer),
        )
        .values(_projection_values(sa.select(new_id.c.id).scalar_subquery()))
        .returning(_ITEMS.c.head_event_id)
        .cte("moved")
    )
    columns = [c for c in _EVENTS.c if c.name != "id"]
    return (
        sa.insert(_EVENTS)
        .from_select(
            ["id", *(c.name for c in columns)],
            sa.select(
                moved.c.head_event_id,
                *(sa.bindparam("e_" + c.name, type_=c.type) for c in columns),
            ),
        )
        .returning(_EVENTS.c.id)
    )


_INSERT_IF_UNCHANGED_PG = pg_direct.Statement(_insert_if_unchanged())


def record_if_unchanged(
    connection: sa.Connection, actor: Actor, scan: Scan, item: Item
) -> Answer | None:
    """PostgreSQL, on a ``connection`` in autocommit mode: record ``scan`` by
    ``actor`` about ``item`` as read (with :data:`READ_FOR_SCAN`, not locked),
    in one statement that is its own transaction, so that the answer is
    durable when it returns (one round trip in all, no BEGIN, no COMMIT).

    The statement writes only if the item recorded no event since it was read:
    every event advances its event count, which the item's update compares
    (PostgreSQL checks the row again after waiting for a concurrent writer),
    and the event is inserted only with that update. None, with nothing
    written, when the item moved meanwhile, when the client id was taken
    meanwhile, or when the scan is anything but plainly accepted (a refusal,
    a conflict, the confirmation of an earlier offer): the caller then records
    it the locked way (:func:`lock_for_scan`), which decides again on the item
    as it then is."""
    if scan.follows is not None and scan.follows != item.head_event_id:
        return None  # the offer it follows needs a query (see offer_receiver)
    request_digest = scan.digest(actor)
    try:
        _check_device_time(scan.device_time)
        proposal = _proposal(actor, scan, followed_offer_to=None)
        decision = rules.decide(state_of(item), proposal, event_id=-1)
    except (Refused, rules.RuleViolation):
        return None
    if not isinstance(decision, rules.Accept):
        return None
    new = _new_event(
        item,
        actor,
        scan,
        decision.state,
        request_digest,
        status=201,
        counterpart=proposal.receiver or proposal.new_custodian,
    )
    params = _pg_params(item, new.row, new.projection)
    params["expected_count"] = item.event_count
    try:
        rows = pg_direct.execute(connection, _INSERT_IF_UNCHANGED_PG, params)
    except sa.exc.IntegrityError:
        return None
    if not rows:
        return None
    return new.answer(rows[0][0])


@dataclass(frozen=True)
class _NewEvent:
    """An event about to be written: its row (but its id), the item's
    projection after it (-1 naming the new event), what its hash covers and
    the answer stored with it."""

    row: dict[str, Any]
    projection: dict[str, Any]
    fields: dict[str, Any]
    stored: dict[str, Any]

    def answer(self, event_id: int) -> Answer:
        """The answer to the scan, once the event is written as ``event_id``."""
        body = _body(event_id, self.fields, self.stored)
        return Answer(status=self.row["answer_status"], body=body, event_id=event_id)


def _new_event(
    item: Item,
    actor: Actor,
    scan: Scan,
    new_state: ItemState,
    request_digest: str,
    *,
    status: int,
    counterpart: Party | None = None,
    error: dict[str, Any] | None = None,
) -> _NewEvent:
    offset = scan.device_time.utcoffset()
    fields: dict[str, Any] = {
        "seq": item.event_count + 1,
        "client_id": scan.client_id,
        "kind": str(scan.kind),
        "actor_user_id": actor.user_id,
        "actor_unit_id": actor.unit_id,
        "counterpart_user_id": counterpart.user_id if counterpart else None,
        "counterpart_unit_id": counterpart.unit_id if counterpart else None,
        "follows_event_id": scan.follows,
        "corrects_event_id": scan.corrects,
        "device_time": _utc_micro(scan.device_time),
        "device_utc_offset_min": int(offset.total_seconds() // 60) if offset else 0,
        "server_time": _utc_micro(utcnow()),
        "data": scan.data,
        "request_digest": request_digest,
        "answer_status": status,
        "prev_hash": item.head_hash or GENESIS,
    }
    fields["hash"] = event_hash(item.tracking_code, fields)
    assert new_state.custodian is not None
    # The answer is written with the row (events are never updated); the parts
    # that name the row's own id are filled in from the row when answering.
    stored: dict[str, Any] = {
        "item": {
            "tracking_code": item.tracking_code,
            "phase": str(new_state.phase),
            "custodian_user_id": new_state.custodian.user_id,
            "custodian_unit_id": new_state.custodian.unit_id,
            "disputed": new_state.disputed,
        }
    }
    if error:
        stored["error"] = error
    assert item.id is not None
    return _NewEvent(
        {"item_id": item.id, "answer": stored, **fields},
        _projection(item, new_state, fields),
        fields,
        stored,
    )


def _append(session: Session, item: Item, new: _NewEvent) -> Answer:
    # A client id reused at the same moment (for another item, or by a retry
    # that raced its original; see lock_for_scan) fails here with
    # IntegrityError, and the whole transaction with it; the caller's retry
    # then gets the stored answer.
    return new.answer(_write(session, item, new.row, new.projection))


def _pg_params(item: Item, row: dict[str, Any], projection: dict[str, Any]) -> dict[str, Any]:
    """The parameters of the PostgreSQL statements that write an event and its projection."""
    params = {"e_" + name: pg_direct.bind(value) for name, value in row.items()}
    params.update({"p_" + name: pg_direct.bind(value) for name, value in projection.items()})
    params.update(item_id_=item.id, offer_is_new=projection["offer_event_id"] == -1)
    return params


def _write(session: Session, item: Item, event: dict[str, Any], projection: dict[str, Any]) -> int:
    """Insert the event, update the (locked) item's projection, and the item's
    loaded object with it; the new event's id. Values of -1 in the projection
    name the new event."""
    postgresql = pg_direct.applies(session)
    if postgresql:
        params = _pg_params(item, event, projection)
        (row,) = pg_direct.execute(session, _INSERT_AND_PROJECT_PG, params)
        event_id: int = row[0]
    else:
        event_id = session.execute(_INSERT_EVENT, event).scalar_one()
    projection = {name: event_id if value == -1 else value for name, value in projection.items()}
    if not postgresql:
        session.execute(_UPDATE_ITEM, {"item_id_": item.id, **projection})
    for name, value in projection.items():
        set_committed_value(item, name, value)
    return event_id


def _record_conflict(
    session: Session,
    actor: Actor,
    scan: Scan,
    item: Item,
    state: ItemState,
    decision: rules.Conflict,
    request_digest: str,
) -> Answer:
    holder = state.custodian
    error = {
        "code": "conflict",
        "reason": decision.reason,
        "message": "The item moved before this scan; it is now disputed.",
        "current_custodian": {
            "user_id": holder.user_id if holder else None,
            "unit_id": holder.unit_id if holder else None,
        },
    }
    conflict_scan = Scan(
        client_id=scan.client_id,
        tracking_code=scan.tracking_code,
        kind=EventKind.CONFLICT,
        device_time=scan.device_time,
        follows=scan.follows,
        data={"attempted": str(scan.kind), "reason": decision.reason, **scan.data},
    )
    new = _new_event(
        item, actor, conflict_scan, decision.state, request_digest, status=409, error=error
    )
    answer = _append(session, item, new)
    session.add(
        Alert(
            kind="custody_conflict",
            unit_id=holder.unit_id if holder else actor.unit_id,
            item_id=item.id,
            event_id=answer.event_id,
            message=f"Conflicting scan of {item.tracking_code}: {decision.reason}.",
        )
    )
    session.flush()
    return answer


def answer_body(event: CustodyEvent) -> dict[str, Any]:
    """The answer a client got (and gets again on a retry) for ``event``."""
    assert event.id is not None
    return _body(
        event.id,
        {
            "seq": event.seq,
            "kind": str(event.kind),
            "client_id": event.client_id,
            "device_time": event.device_time,
            "server_time": event.server_time,
            "hash": event.hash,
        },
        event.answer,
    )


def _body(event_id: int, fields: dict[str, Any], stored: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "event": {
            "id": event_id,
            "seq": fields["seq"],
            "kind": str(fields["kind"]),
            "client_id": fields["client_id"],
            "device_time": fields["device_time"].isoformat(),
            "server_time": fields["server_time"].isoformat(),
            "hash": fields["hash"],
        },
        "item": {**stored["item"], "head_event_id": event_id},
    }
    if "error" in stored:
        body["error"] = stored["error"]
    return body


def _replay(session: Session, client_id: str, request_digest: str) -> Answer | None:
    earlier = session.scalars(
        select(CustodyEvent).where(CustodyEvent.client_id == client_id)
    ).first()
    if earlier is None:
        return None
    return _replay_of(earlier, request_digest)


def _replay_of(earlier: CustodyEvent, request_digest: str) -> Answer:
    if earlier.request_digest != request_digest:
        raise IdempotencyMismatch(
            "This client id was already used for a different scan; nothing was recorded."
        )
    return Answer(earlier.answer_status, answer_body(earlier), replayed=True, event_id=earlier.id)


def _check_device_time(device_time: datetime) -> None:
    if device_time.tzinfo is None:
        raise Refused("The device time must carry its UTC offset.", code="device_time")
    if device_time - utcnow() > MAX_CLOCK_AHEAD:
        raise Refused(
            "The device clock is ahead of the server; check the phone's time.", code="device_time"
        )


def offer_receiver(session: Session, item: Item, follows: int | None) -> Party | None:
    """To whom the event ``follows`` offered the item, if it was an offer of it."""
    if follows is None or follows == item.head_event_id:
        return None
    event = session.get(CustodyEvent, follows)
    if event is None or event.item_id != item.id or event.kind is not EventKind.HANDOVER_OFFERED:
        return None
    return Party(event.counterpart_user_id, event.counterpart_unit_id)


def _party(user_id: int | None, unit_id: int | None) -> Party | None:
    if user_id is None and unit_id is None:
        return None
    return Party(user_id, unit_id)


def _utc_micro(value: datetime) -> datetime:
    return value.astimezone(UTC)
