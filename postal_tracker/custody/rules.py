"""The custody state machine, pure: no Flask, no database.

An item's state is folded from its events. :func:`decide` says whether a
proposed event may follow the current state, and what the state becomes:

* Every item has exactly one custodian from its first event on. Custody moves
  only when the receiver named in an offer confirms it; an unconfirmed offer
  leaves the item with the giver.
* A confirmation names the event it follows (like HTTP If-Match). If the item
  moved meanwhile the answer is a :class:`Conflict`: the caller records it,
  the item becomes disputed, and nothing moves until a supervisor resolves it.
* The same act twice is one fact (:func:`repeat_of`): a scan that is the
  item's last event again, by the same person, is answered with that event
  (:class:`Repeat`) and nothing is recorded, whatever client id it came with.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from postal_tracker.auth.roles import Role


class EventKind(StrEnum):
    ACCEPTED = "accepted"
    HANDOVER_OFFERED = "handover_offered"
    HANDOVER_CONFIRMED = "handover_confirmed"
    ARRIVED = "arrived"
    DEPARTED = "departed"
    DELIVERED_TO_AGENCY = "delivered_to_agency"
    RESULT_READY = "result_ready"
    RESULT_COLLECTED = "result_collected"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERY_FAILED = "delivery_failed"
    DELIVERED = "delivered"
    HELD_FOR_PICKUP = "held_for_pickup"
    RETURNED_TO_AGENCY = "returned_to_agency"
    INCIDENT_OPENED = "incident_opened"
    INCIDENT_RESOLVED = "incident_resolved"
    CORRECTED = "corrected"
    CONFLICT = "conflict"  # a scan that named a stale event; kept as evidence


class Phase(StrEnum):
    NEW = "new"  # no event yet
    ACCEPTED = "accepted"  # taken in, with the intake person
    IN_TRANSIT = "in_transit"  # on its way to the agency
    AT_AGENCY = "at_agency"
    RESULT_READY = "result_ready"  # a result packet at the agency
    RETURNING = "returning"  # the result on its way back
    OUT_FOR_DELIVERY = "out_for_delivery"
    HELD_FOR_PICKUP = "held_for_pickup"
    DELIVERED = "delivered"
    RETURNED = "returned"  # sent back to the agency after the holding period


TERMINAL = frozenset({Phase.DELIVERED, Phase.RETURNED})
OPENING_KINDS = frozenset({EventKind.ACCEPTED, EventKind.RESULT_READY})
POSTAL_ROLES = frozenset({Role.POSTAL_WORKER, Role.POST_OFFICE_CLERK})
HANDLING_ROLES = frozenset(
    {Role.COMMUNE_OFFICER, Role.POSTAL_WORKER, Role.POST_OFFICE_CLERK, Role.AGENCY_CLERK}
)


@dataclass(frozen=True)
class Receipt:
    """Who may confirm an offered item with a receipt kind, and in which phases."""

    roles: frozenset[Role]
    phases: frozenset[Phase]


# The confirmations that are a step of the journey: the agency takes a dossier
# in, the post collects a result, the agency takes a result back. Any other
# offer is confirmed with HANDOVER_CONFIRMED. The scanner page is served the
# kind that fits its user (:func:`receipt_kind`) from this same table.
RECEIPTS = {
    EventKind.DELIVERED_TO_AGENCY: Receipt(
        frozenset({Role.AGENCY_CLERK}), frozenset({Phase.ACCEPTED, Phase.IN_TRANSIT})
    ),
    EventKind.RESULT_COLLECTED: Receipt(POSTAL_ROLES, frozenset({Phase.RESULT_READY})),
    EventKind.RETURNED_TO_AGENCY: Receipt(
        frozenset({Role.AGENCY_CLERK}), frozenset({Phase.HELD_FOR_PICKUP, Phase.RETURNING})
    ),
}
# Kinds by which a receiver confirms an offer; only these move custody.
CONFIRMING_KINDS = frozenset({EventKind.HANDOVER_CONFIRMED, *RECEIPTS})


def receipt_kind(role: Role, phase: Phase) -> EventKind:
    """The kind by which someone with ``role`` confirms an item offered in ``phase``."""
    for kind, receipt in RECEIPTS.items():
        if role in receipt.roles and phase in receipt.phases:
            return kind
    return EventKind.HANDOVER_CONFIRMED


@dataclass(frozen=True)
class Party:
    """Who holds an item: a person acting for a unit, or the citizen at the end."""

    user_id: int | None
    unit_id: int | None
    citizen: bool = False

    def includes(self, actor: Actor) -> bool:
        """Whether ``actor`` is this party: the person, or anyone of the unit
        when the party names only a unit."""
        if self.citizen:
            return False
        if self.user_id is not None:
            return self.user_id == actor.user_id
        return self.unit_id is not None and self.unit_id in actor.unit_ids


CITIZEN = Party(user_id=None, unit_id=None, citizen=True)


@dataclass(frozen=True)
class Actor:
    user_id: int
    role: Role
    unit_ids: frozenset[int]
    unit_id: int | None = None  # the unit they act for in this event


@dataclass(frozen=True)
class Offer:
    event_id: int
    giver: Party
    receiver: Party
    receiver_is_agency: bool


@dataclass(frozen=True)
class ItemState:
    phase: Phase = Phase.NEW
    custodian: Party | None = None
    offer: Offer | None = None
    disputed: bool = False
    head_event_id: int | None = None


@dataclass(frozen=True)
class Head:
    """The item's last event, as much of it as tells whether a proposal repeats it."""

    event_id: int
    kind: EventKind
    actor_user_id: int | None
    follows: int | None
    counterpart: Party | None


# Scans that a person may send twice for one act (a double tap, a retry after a
# reload). Openings, incidents and corrections are each a new fact however
# alike; a conflict is the system's own.
REPEATABLE = (
    frozenset(EventKind)
    - OPENING_KINDS
    - {
        EventKind.INCIDENT_OPENED,
        EventKind.INCIDENT_RESOLVED,
        EventKind.CORRECTED,
        EventKind.CONFLICT,
    }
)


@dataclass(frozen=True)
class Proposal:
    """An event someone wants to record."""

    kind: EventKind
    actor: Actor
    follows: int | None = None  # the event id the client saw last (If-Match)
    receiver: Party | None = None  # for an offer
    receiver_is_agency: bool = False
    new_custodian: Party | None = None  # for a supervisor resolving a dispute
    corrects: int | None = None
    # When ``follows`` names an offer, to whom it was made (the ledger looks it up).
    followed_offer_to: Party | None = None
    # The item's last event (the ledger reads it), to know a repeat of it.
    head: Head | None = None


class RuleViolation(Exception):
    """The event may not follow here; nothing is recorded. ``code`` is stable."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Accept:
    state: ItemState


@dataclass(frozen=True)
class Conflict:
    """The client acted on a stale view; record the scan, dispute the item."""

    reason: str
    state: ItemState  # the state after recording the conflict


@dataclass(frozen=True)
class Repeat:
    """The proposal is the item's last event again: answer with that event
    (``event_id``) and record nothing; the state stays as it is."""

    event_id: int
    state: ItemState


Decision = Accept | Conflict | Repeat


def _need(cond: bool, code: str, message: str) -> None:
    if not cond:
        raise RuleViolation(code, message)


def _as_actor_party(actor: Actor) -> Party:
    return Party(user_id=actor.user_id, unit_id=actor.unit_id)


def decide(state: ItemState, p: Proposal, event_id: int) -> Decision:
    """Check ``p`` against ``state``; ``event_id`` is the id the new event gets."""
    k, actor = p.kind, p.actor
    if k in OPENING_KINDS:
        _need(state.phase is Phase.NEW, "already_open", "This item already has a history.")
        roles = (
            {Role.COMMUNE_OFFICER, Role.POSTAL_WORKER}
            if k is EventKind.ACCEPTED
            else {Role.AGENCY_CLERK}
        )
        _need(actor.role in roles, "role", "Your role may not record this.")
        phase = Phase.ACCEPTED if k is EventKind.ACCEPTED else Phase.RESULT_READY
        return Accept(
            ItemState(phase=phase, custodian=_as_actor_party(actor), head_event_id=event_id)
        )

    _need(state.phase is not Phase.NEW, "not_open", "This item has no history yet.")
    assert state.custodian is not None

    repeated = repeat_of(state, p)
    if repeated is not None:
        return Repeat(repeated, state)
    if p.follows is not None and p.follows != state.head_event_id:
        return _stale(state, p, event_id)

    if k is EventKind.CONFLICT:
        raise RuleViolation("reserved", "Conflicts are recorded by the system only.")
    if k is EventKind.INCIDENT_OPENED:
        _need(
            actor.role in HANDLING_ROLES | {Role.SUPERVISOR}, "role", "Your role may not do this."
        )
        return _next(state, event_id)
    if k is EventKind.INCIDENT_RESOLVED:
        _need(actor.role is Role.SUPERVISOR, "role", "Only a supervisor resolves incidents.")
        if p.new_custodian is not None:
            # The supervisor names who really holds the item; this ends a dispute.
            return _next(state, event_id, custodian=p.new_custodian, offer=None, disputed=False)
        _need(not state.disputed, "name_custodian", "Say who holds the item to end the dispute.")
        return _next(state, event_id)
    if k is EventKind.CORRECTED:
        _need(p.corrects is not None, "corrects", "Name the event this corrects.")
        _need(
            actor.role in HANDLING_ROLES | {Role.SUPERVISOR}, "role", "Your role may not do this."
        )
        return _next(state, event_id)

    _need(not state.disputed, "disputed", "This item is disputed; a supervisor must resolve it.")
    _need(state.phase not in TERMINAL, "closed", "This item's journey has ended.")

    if k in CONFIRMING_KINDS:
        return _confirm(state, p, event_id)

    # Everything else is done by the one who holds the item.
    _need(actor.role in HANDLING_ROLES, "role", "Your role may not do this.")
    _need(state.custodian.includes(actor), "not_custodian", "You do not hold this item.")

    if k is EventKind.HANDOVER_OFFERED:
        _need(p.receiver is not None, "receiver", "Name who receives the item.")
        assert p.receiver is not None
        _need(not p.receiver.includes(actor), "self", "You cannot hand an item to yourself.")
        offer = Offer(event_id, state.custodian, p.receiver, p.receiver_is_agency)
        # A new offer replaces an earlier one that was never confirmed.
        return _next(state, event_id, offer=offer)
    if k in (EventKind.ARRIVED, EventKind.DEPARTED):
        return _next(state, event_id)
    if k is EventKind.OUT_FOR_DELIVERY:
        _need(actor.role is Role.POSTAL_WORKER, "role", "Only a postal worker delivers.")
        _need(state.phase is Phase.RETURNING, "phase", "Only a result on its way back goes out.")
        return _next(state, event_id, phase=Phase.OUT_FOR_DELIVERY, offer=None)
    if k is EventKind.DELIVERY_FAILED:
        _need(state.phase is Phase.OUT_FOR_DELIVERY, "phase", "The item is not out for delivery.")
        return _next(state, event_id, phase=Phase.RETURNING)
    if k is EventKind.HELD_FOR_PICKUP:
        _need(state.phase is Phase.RETURNING, "phase", "Only a returning result can be held.")
        return _next(state, event_id, phase=Phase.HELD_FOR_PICKUP, offer=None)
    if k is EventKind.DELIVERED:
        _need(
            state.phase in (Phase.OUT_FOR_DELIVERY, Phase.HELD_FOR_PICKUP),
            "phase",
            "The item is not out for delivery or held for pickup.",
        )
        return _next(state, event_id, phase=Phase.DELIVERED, custodian=CITIZEN, offer=None)
    raise RuleViolation("kind", f"Unknown event kind {k}.")


def repeat_of(state: ItemState, p: Proposal) -> int | None:
    """The id of the item's last event if ``p`` is that same act again, else None.

    It is when the last event (``p.head``, which must be the state's head) is
    of ``p``'s kind, a :data:`REPEATABLE` one, by the same person; ``p`` was
    made on the view the last event was made on (a double tap: it follows what
    the last event followed) or on the view it left (a reload: it follows the
    last event itself, or names nothing); and, for an offer, to the same
    receiver. Then recording ``p`` would not change the item's state: the same
    person arriving or leaving again, confirming the offer they already
    confirmed (the item is theirs and no offer stands), offering it again to
    the one it stands offered to. Two different people are never a repeat: a
    second receiver confirming the same offer is a conflict (:func:`_stale`).
    """
    head = p.head
    if head is None or head.event_id != state.head_event_id or p.kind not in REPEATABLE:
        return None
    if head.kind is not p.kind or head.actor_user_id != p.actor.user_id:
        return None
    if p.follows not in (None, head.event_id, head.follows):
        return None
    if p.kind is EventKind.HANDOVER_OFFERED and p.receiver != head.counterpart:
        return None
    return head.event_id


def _stale(state: ItemState, p: Proposal, event_id: int) -> Decision:
    """The client acted on an old view of the item. It is a conflict (recorded,
    the item disputed) only when the person had a part in that view: they were
    offered the item, or they hold it. Anyone else is simply refused, so that
    nobody can dispute items that are none of their business."""
    assert state.custodian is not None
    if p.kind in CONFIRMING_KINDS:
        _need(
            p.followed_offer_to is not None and p.followed_offer_to.includes(p.actor),
            "not_receiver",
            "This item was not offered to you.",
        )
        return _conflict(state, event_id, "offer_superseded")
    _need(
        p.kind not in (EventKind.CONFLICT,),
        "reserved",
        "Conflicts are recorded by the system only.",
    )
    _need(
        state.custodian.includes(p.actor) or p.actor.role is Role.SUPERVISOR,
        "not_custodian",
        "You do not hold this item.",
    )
    return _conflict(state, event_id, "moved_meanwhile")


def _confirm(state: ItemState, p: Proposal, event_id: int) -> Decision:
    offer = state.offer
    _need(offer is not None, "no_offer", "Nobody has offered this item to you.")
    assert offer is not None
    _need(p.follows is not None, "follows", "A confirmation must name the offer it confirms.")
    _need(
        offer.receiver.includes(p.actor), "not_receiver", "This item was offered to someone else."
    )
    k, phase = p.kind, state.phase
    receipt = RECEIPTS.get(k)
    role_fits = receipt is not None and p.actor.role in receipt.roles
    phase_fits = receipt is not None and phase in receipt.phases
    if k is EventKind.DELIVERED_TO_AGENCY:
        _need(role_fits, "role", "Only an agency clerk confirms receipt.")
        _need(phase_fits, "phase", "This is not a dossier in transit.")
        new_phase = Phase.AT_AGENCY
    elif k is EventKind.RESULT_COLLECTED:
        _need(role_fits, "role", "Only postal staff collect results.")
        _need(phase_fits, "phase", "This is not a result ready at the agency.")
        new_phase = Phase.RETURNING
    elif k is EventKind.RETURNED_TO_AGENCY:
        _need(role_fits, "role", "Only an agency clerk takes a result back.")
        _need(phase_fits, "phase", "This result is not held.")
        new_phase = Phase.RETURNED
    else:
        _need(p.actor.role in HANDLING_ROLES, "role", "Your role may not do this.")
        _need(
            not offer.receiver_is_agency,
            "use_agency_receipt",
            "Agency receipt is recorded as such.",
        )
        new_phase = Phase.IN_TRANSIT if phase is Phase.ACCEPTED else phase
    receiver = Party(user_id=p.actor.user_id, unit_id=p.actor.unit_id or offer.receiver.unit_id)
    return _next(state, event_id, phase=new_phase, custodian=receiver, offer=None)


_KEEP = object()


def _next(
    state: ItemState,
    event_id: int,
    *,
    phase: Phase | None = None,
    custodian: Party | None = None,
    offer: Offer | object | None = _KEEP,
    disputed: bool | None = None,
) -> Accept:
    new = replace(
        state,
        phase=phase or state.phase,
        custodian=custodian or state.custodian,
        offer=state.offer if offer is _KEEP else offer,  # type: ignore[arg-type]
        disputed=state.disputed if disputed is None else disputed,
        head_event_id=event_id,
    )
    return Accept(new)


def _conflict(state: ItemState, event_id: int, reason: str) -> Conflict:
    # The custodian stays as it was: a later scan never silently wins.
    return Conflict(reason, replace(state, disputed=True, head_event_id=event_id))
