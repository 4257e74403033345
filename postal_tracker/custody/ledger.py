"""Appending custody events: one function, :func:`record`, for every event.

Intake, the scan API, manifests, the agency, delivery, conflicts and
corrections all append through it. It locks the item, gives a retry its first
answer, asks the pure rules (:mod:`custody.rules`), chains the hash
(:mod:`custody.chain`), and writes the event with the item's projection.

Services flush; the caller commits once. Every write is keyed by the client's
id: the same id with the same content gives back the first answer and writes
nothing; the same id with other content is refused (:class:`IdempotencyMismatch`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col, select

from postal_tracker.clock import check_device_time
from postal_tracker.custody import rules
from postal_tracker.custody.chain import GENESIS, digest, event_hash
from postal_tracker.custody.errors import IdempotencyMismatch, ItemNotFound, Refused
from postal_tracker.custody.models import Alert, CustodyEvent, Item
from postal_tracker.custody.rules import Actor, EventKind, ItemState, Party, Phase, Proposal
from postal_tracker.db import utcnow
from postal_tracker.errors import N_, DomainError


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
    """What a scan came to: the event recorded for it (or, for a retry, the
    one its first attempt recorded) and the body the client is answered with."""

    event_id: int
    body: dict[str, Any]
    replayed: bool = False  # a retry: nothing was written
    conflict: bool = False  # it named a stale event: recorded as a conflict, item disputed


# The caller's own check of the locked item, made after a retry got its first
# answer: the actor to record the scan as, or a DomainError (nothing written).
Authorize = Callable[[Session, Item, Actor, Scan], Actor]


_HEAD = aliased(CustodyEvent, name="head")

# The item locked, the id of the event already recorded under the client id if
# any, and the item's last event (to know a repeat of it), in one statement.
# Built once, so that only its cached compiled form is looked up per scan.
# SQLite renders no FOR UPDATE: its transactions already hold the database's
# write lock from BEGIN IMMEDIATE (see db.py).
LOCK: sa.Select[Item, Any, Any, Any, Any, Any, Any, Any] = (
    sa.select(
        Item,
        col(CustodyEvent.id).label("earlier_id"),
        col(_HEAD.id).label("head_id"),
        col(_HEAD.kind).label("head_kind"),
        col(_HEAD.actor_user_id).label("head_actor_user_id"),
        col(_HEAD.follows_event_id).label("head_follows"),
        col(_HEAD.counterpart_user_id).label("head_counterpart_user_id"),
        col(_HEAD.counterpart_unit_id).label("head_counterpart_unit_id"),
    )
    .outerjoin_from(Item, CustodyEvent, col(CustodyEvent.client_id) == sa.bindparam("client_id"))
    .outerjoin_from(Item, _HEAD, col(_HEAD.id) == Item.head_event_id)
    .where(col(Item.tracking_code) == sa.bindparam("code"))
    .with_for_update(of=Item)
    # The item may be in the session already, read before the lock.
    .execution_options(populate_existing=True)
)


@dataclass(frozen=True)
class Caller:
    """Who records, read by the item's lock statement itself (a device's
    token: one round trip for both). ``statement`` is :data:`LOCK` with
    columns added by outer joins, ``params`` its own parameters; ``actor``
    makes the actor from its rows, or raises if they name no one."""

    statement: sa.Select[*tuple[Any, ...]]
    params: Mapping[str, Any]
    actor: Callable[[Session, Sequence[sa.Row[*tuple[Any, ...]]]], Actor]


def record(
    session: Session, actor: Actor | Caller, scan: Scan, *, authorize: Authorize | None = None
) -> Answer:
    """Record ``scan`` by ``actor``: the event, a retry's first answer, or a
    conflict that is itself recorded (with an alert). Raises a
    :class:`LedgerError` (or what ``authorize`` raises) with nothing written."""
    item, earlier_id, head, actor = _lock(session, actor, scan)
    request_digest = scan.digest(actor)
    if earlier_id is not None:
        earlier = session.get(CustodyEvent, earlier_id)
        assert earlier is not None
        return _replay_of(earlier, request_digest)
    try:
        if authorize is not None:
            actor = authorize(session, item, actor, scan)
        decided = _decide(session, actor, scan, item, head, request_digest)
    except DomainError:
        # On PostgreSQL the lock's statement reads events as they were before
        # it waited for the lock: this retry's original may have been
        # committed meanwhile (and moved the item). A new statement sees it.
        answer = _replay_if_recorded(session, scan.client_id, request_digest)
        if answer is None:
            raise
        return answer
    if isinstance(decided, Answer):
        return decided
    new, conflict = decided
    event_id = _write(session, item, new)
    if event_id is None:  # the client id was committed meanwhile (see _write)
        answer = _replay_if_recorded(session, scan.client_id, request_digest)
        assert answer is not None
        return answer
    if conflict is not None:
        holder = conflict.custodian
        session.add(
            Alert(
                kind="custody_conflict",
                unit_id=holder.unit_id if holder else actor.unit_id,
                item_id=item.id,
                event_id=event_id,
                message=f"Conflicting scan of {item.tracking_code}: {conflict.reason}.",
                message_id=N_("Conflicting scan of %(code)s: %(reason)s."),
                params={"code": item.tracking_code, "reason": conflict.reason},
            )
        )
        session.flush()
    return new.answer(event_id)


def _lock(
    session: Session, who: Actor | Caller, scan: Scan
) -> tuple[Item, int | None, rules.Head | None, Actor]:
    """The item locked, the id of the event recorded under the client id if
    any, the item's last event, and the actor."""
    params = {"code": scan.tracking_code, "client_id": scan.client_id}
    if isinstance(who, Caller):
        rows = session.execute(who.statement, {**params, **who.params}).all()
    else:
        rows = session.execute(LOCK, params).all()
    if not rows:
        raise ItemNotFound(N_("No item has this tracking code."))
    actor = who.actor(session, rows) if isinstance(who, Caller) else who
    row = rows[0]
    item: Item = row[0]
    head = None
    if item.head_event_id is not None:
        # (kind, actor, follows, counterpart user, counterpart unit) of the head.
        seen: tuple[Any, ...] = (
            row.head_kind,
            row.head_actor_user_id,
            row.head_follows,
            row.head_counterpart_user_id,
            row.head_counterpart_unit_id,
        )
        if row.head_id != item.head_event_id:
            # On PostgreSQL the statement joins the events as they were before
            # it waited for the lock: the head written meanwhile is read anew.
            e = session.get(CustodyEvent, item.head_event_id)
            assert e is not None
            seen = (
                e.kind,
                e.actor_user_id,
                e.follows_event_id,
                e.counterpart_user_id,
                e.counterpart_unit_id,
            )
        kind, actor_user_id, follows, counterpart_user, counterpart_unit = seen
        head = rules.Head(
            item.head_event_id,
            EventKind(kind),
            actor_user_id,
            follows,
            _party(counterpart_user, counterpart_unit),
        )
    return item, row.earlier_id, head, actor


def lock_item(session: Session, tracking_code: str) -> Item:
    """The item, locked for this transaction, for a caller that checks it
    before recording (PostgreSQL row lock; SQLite transactions already hold
    the database's write lock from BEGIN)."""
    item = session.scalars(
        select(Item).where(Item.tracking_code == tracking_code).with_for_update()
    ).first()
    if item is None:
        raise ItemNotFound(N_("No item has this tracking code."))
    return item


@dataclass(frozen=True)
class _Conflict:
    custodian: Party | None
    reason: str


def _decide(
    session: Session,
    actor: Actor,
    scan: Scan,
    item: Item,
    head: rules.Head | None,
    request_digest: str,
) -> tuple[_NewEvent, _Conflict | None] | Answer:
    """The event to write for ``scan`` (a conflict if it named a stale event),
    or the answer of the item's last event if ``scan`` repeats it."""
    check_device_time(scan.device_time, now=utcnow())
    proposal = _proposal(actor, scan, offer_receiver(session, item, scan.follows), head)
    state = state_of(item)
    # The event id is not known before the insert; rules only need it as the
    # new head, which the projection takes from the inserted row.
    try:
        decision = rules.decide(state, proposal, event_id=-1)
    except rules.RuleViolation as exc:
        raise Refused(exc.message, code=exc.code) from None
    if isinstance(decision, rules.Repeat):
        # The same act again: one fact, its first answer. But a client id used
        # before (missed by the lock's statement, see _write) is checked first,
        # so that the same id with other content is still refused.
        retried = _replay_if_recorded(session, scan.client_id, request_digest)
        if retried is not None:
            return retried
        earlier = session.get(CustodyEvent, decision.event_id)
        assert earlier is not None and earlier.id is not None
        return Answer(earlier.id, answer_body(earlier), replayed=True)
    if isinstance(decision, rules.Accept):
        counterpart = proposal.receiver or proposal.new_custodian
        new = _new_event(item, actor, scan, decision.state, request_digest, counterpart)
        return new, None
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
    new = _new_event(item, actor, conflict_scan, decision.state, request_digest, error=error)
    return new, _Conflict(holder, decision.reason)


def _proposal(
    actor: Actor, scan: Scan, followed_offer_to: Party | None, head: rules.Head | None
) -> Proposal:
    return Proposal(
        kind=scan.kind,
        actor=actor,
        follows=scan.follows,
        receiver=_party(scan.receiver_user_id, scan.receiver_unit_id),
        receiver_is_agency=scan.receiver_is_agency,
        new_custodian=_party(scan.new_custodian_user_id, scan.new_custodian_unit_id),
        corrects=scan.corrects,
        followed_offer_to=followed_offer_to,
        head=head,
    )


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
        return Answer(event_id, body, conflict=self.fields["kind"] == EventKind.CONFLICT)


def _new_event(
    item: Item,
    actor: Actor,
    scan: Scan,
    new_state: ItemState,
    request_digest: str,
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


_EVENTS = CustodyEvent.metadata.tables["custody_event"]
_ITEMS = Item.metadata.tables["item"]
_PROJECTED = [
    c for c in _ITEMS.c if c.name not in ("id", "tracking_code", "dossier_id", "kind", "created_at")
]


def _insert_and_project_pg() -> sa.Update:
    """PostgreSQL: the event and the item's projection in one statement (one
    round trip), the event's new id going into the item's head (and offer).
    Nothing is written if the client id is taken."""
    new_event = (
        postgresql.insert(_EVENTS)
        .values(
            {c.name: sa.bindparam("e_" + c.name, type_=c.type) for c in _EVENTS.c if c.name != "id"}
        )
        .on_conflict_do_nothing(index_elements=["client_id"])
        .returning(_EVENTS.c.id, _EVENTS.c.item_id)
        .cte("new_event")
    )
    values: dict[str, Any] = {c.name: sa.bindparam("p_" + c.name, type_=c.type) for c in _PROJECTED}
    values["head_event_id"] = new_event.c.id
    values["offer_event_id"] = sa.case(
        (sa.bindparam("offer_is_new", type_=sa.Boolean), new_event.c.id),
        else_=sa.bindparam("p_offer_event_id", type_=sa.Integer),
    )
    return (
        sa.update(_ITEMS)
        # Joined with the new event: no row inserted, no row updated.
        .where(_ITEMS.c.id == new_event.c.item_id)
        .values(values)
        .returning(_ITEMS.c.head_event_id)
        .add_cte(new_event)
    )


# Built once: SQLAlchemy caches their compiled form, and the unit of work is not
# needed for one row each (the item's loaded object is updated in place).
_INSERT_AND_PROJECT_PG = _insert_and_project_pg()
_INSERT_SQLITE = (
    sqlite.insert(_EVENTS)
    .on_conflict_do_nothing(index_elements=["client_id"])
    .returning(_EVENTS.c.id)
)
_PROJECT_SQLITE = sa.update(_ITEMS).where(_ITEMS.c.id == sa.bindparam("item_id_"))


def _write(session: Session, item: Item, new: _NewEvent) -> int | None:
    """Insert the event and update the (locked) item's projection, and the
    item's loaded object with it; the new event's id. Values of -1 in the
    projection name the new event.

    None, with nothing written, if the client id was committed meanwhile: on
    PostgreSQL the lock's statement does not see an event committed while it
    waited for the lock (by this retry's original, or for another item), and
    the insert then waits for that transaction and skips the row."""
    postgresql = session.get_bind().dialect.name == "postgresql"
    if postgresql:
        params = {"e_" + name: value for name, value in new.row.items()}
        params.update({"p_" + name: value for name, value in new.projection.items()})
        params["offer_is_new"] = new.projection["offer_event_id"] == -1
        event_id: int | None = session.execute(_INSERT_AND_PROJECT_PG, params).scalar()
    else:
        event_id = session.execute(_INSERT_SQLITE, new.row).scalar()
    if event_id is None:
        return None
    projection = {k: event_id if v == -1 else v for k, v in new.projection.items()}
    if not postgresql:
        session.execute(_PROJECT_SQLITE, {"item_id_": item.id, **projection})
    for name, value in projection.items():
        set_committed_value(item, name, value)
    return event_id


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


def _replay_if_recorded(session: Session, client_id: str, request_digest: str) -> Answer | None:
    earlier = session.scalars(
        select(CustodyEvent).where(CustodyEvent.client_id == client_id)
    ).first()
    if earlier is None:
        return None
    return _replay_of(earlier, request_digest)


def _replay_of(earlier: CustodyEvent, request_digest: str) -> Answer:
    if earlier.request_digest != request_digest:
        raise IdempotencyMismatch(
            N_("This client id was already used for a different scan; nothing was recorded.")
        )
    assert earlier.id is not None
    return Answer(
        earlier.id,
        answer_body(earlier),
        replayed=True,
        conflict=earlier.kind is EventKind.CONFLICT,
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
