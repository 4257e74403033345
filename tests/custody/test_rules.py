"""The custody state machine, property-tested: whatever sequence of events
people attempt, an item always has exactly one custodian (or is disputed), and
custody moves only by a confirmed handover."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from postal_tracker.auth.roles import Role
from postal_tracker.custody import rules
from postal_tracker.custody.rules import (
    Accept,
    Actor,
    Conflict,
    EventKind,
    Head,
    ItemState,
    Party,
    Phase,
    Proposal,
    Repeat,
    RuleViolation,
    decide,
)

ACTORS = [
    Actor(1, Role.COMMUNE_OFFICER, frozenset({10}), 10),
    Actor(2, Role.POSTAL_WORKER, frozenset({20}), 20),
    Actor(3, Role.POSTAL_WORKER, frozenset({20}), 20),
    Actor(4, Role.POST_OFFICE_CLERK, frozenset({30}), 30),
    Actor(5, Role.AGENCY_CLERK, frozenset({40}), 40),
    Actor(6, Role.SUPERVISOR, frozenset({1}), 1),
    Actor(7, Role.ADMIN, frozenset({1}), 1),
]
PARTIES = [Party(a.user_id, a.unit_id) for a in ACTORS] + [Party(None, u) for u in (20, 30, 40)]

MOVING = rules.CONFIRMING_KINDS | rules.OPENING_KINDS | {EventKind.DELIVERED}


@st.composite
def attempts(draw: st.DrawFn, heads: list[int]) -> Proposal:
    kind = draw(st.sampled_from(list(EventKind)))
    receiver = draw(st.none() | st.sampled_from(PARTIES))
    return Proposal(
        kind=kind,
        actor=draw(st.sampled_from(ACTORS)),
        follows=draw(st.none() | st.sampled_from(heads) | st.integers(1, 500)),
        receiver=receiver,
        receiver_is_agency=receiver is not None and receiver.unit_id == 40,
        new_custodian=draw(st.none() | st.sampled_from(PARTIES)),
        corrects=draw(st.none() | st.integers(1, 5)),
        followed_offer_to=draw(st.none() | st.sampled_from(PARTIES)),
    )


def _with_head(p: Proposal, state: ItemState, use_head: bool) -> Proposal:
    """Often name the current head (or the offer), as a well-behaved client does."""
    if not use_head:
        return p
    target = state.offer.event_id if state.offer and p.kind in rules.CONFIRMING_KINDS else None
    return Proposal(**{**p.__dict__, "follows": target or state.head_event_id})


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(st.data())
def test_exactly_one_custodian_whatever_people_try(data: st.DataObject) -> None:
    state = ItemState()
    opened = decide(state, Proposal(EventKind.ACCEPTED, ACTORS[0]), event_id=1)
    assert isinstance(opened, Accept)
    state = opened.state
    head = Head(1, EventKind.ACCEPTED, ACTORS[0].user_id, None, None)
    for event_id in range(2, 30):
        p = data.draw(attempts([state.head_event_id or 1]))
        p = replace(_with_head(p, state, data.draw(st.booleans())), head=head)
        before = state
        try:
            decision = decide(state, p, event_id)
        except RuleViolation as exc:
            assert exc.code and exc.message
            continue
        if isinstance(decision, Repeat):
            # Only the last event again, by the same person: nothing changes.
            assert decision.event_id == head.event_id and decision.state == before
            assert (head.kind, head.actor_user_id) == (p.kind, p.actor.user_id)
            continue
        state = decision.state
        kind = EventKind.CONFLICT if isinstance(decision, Conflict) else p.kind
        head = Head(event_id, kind, p.actor.user_id, p.follows, p.receiver or p.new_custodian)
        if kind in rules.REPEATABLE:
            # The same act again, sent on the same view (a double tap) or on
            # the view it left (a reload), is that event, not a new fact.
            for follows in (p.follows, event_id):
                again = decide(state, replace(p, follows=follows, head=head), event_id + 1)
                assert again == Repeat(event_id, state), (p, again)
        # Invariant: exactly one custodian from the first event on.
        assert state.custodian is not None
        assert state.head_event_id == event_id
        if isinstance(decision, Conflict):
            # A stale scan never wins: custody stays, the item is disputed.
            assert state.disputed and state.custodian == before.custodian
            continue
        if state.custodian != before.custodian:
            # Custody moves only by a confirmed handover (or delivery to the
            # citizen, or a supervisor settling a dispute).
            assert p.kind in MOVING or (
                p.kind is EventKind.INCIDENT_RESOLVED and p.actor.role is Role.SUPERVISOR
            )
            if p.kind in rules.CONFIRMING_KINDS:
                assert before.offer is not None
                assert before.offer.receiver.includes(p.actor)
                assert p.follows == before.head_event_id
        if before.disputed and not isinstance(decision, Conflict):
            assert p.kind in {
                EventKind.INCIDENT_OPENED,
                EventKind.INCIDENT_RESOLVED,
                EventKind.CORRECTED,
            }
        if before.phase in rules.TERMINAL:
            assert state.phase is before.phase


def _open() -> ItemState:
    d = decide(ItemState(), Proposal(EventKind.ACCEPTED, ACTORS[0]), event_id=1)
    assert isinstance(d, Accept)
    return d.state


def _ok(state: ItemState, p: Proposal, event_id: int) -> ItemState:
    d = decide(state, p, event_id)
    assert isinstance(d, Accept), d
    return d.state


def test_an_unconfirmed_offer_leaves_the_item_with_the_giver() -> None:
    state = _ok(_open(), Proposal(EventKind.HANDOVER_OFFERED, ACTORS[0], receiver=PARTIES[1]), 2)
    assert state.custodian == Party(1, 10)
    assert state.offer is not None and state.offer.event_id == 2


def test_confirm_moves_custody_and_a_second_confirm_conflicts() -> None:
    offered = _ok(
        _open(), Proposal(EventKind.HANDOVER_OFFERED, ACTORS[0], receiver=Party(None, 20)), 2
    )
    first = _ok(offered, Proposal(EventKind.HANDOVER_CONFIRMED, ACTORS[1], follows=2), 3)
    assert first.custodian == Party(2, 20) and first.phase is Phase.IN_TRANSIT
    second = decide(
        first,
        Proposal(
            EventKind.HANDOVER_CONFIRMED, ACTORS[2], follows=2, followed_offer_to=Party(None, 20)
        ),
        4,
    )
    assert isinstance(second, Conflict)
    assert second.state.disputed and second.state.custodian == Party(2, 20)


def test_strangers_with_a_stale_view_are_refused_not_recorded() -> None:
    state = _ok(_open(), Proposal(EventKind.DEPARTED, ACTORS[0]), 2)
    for p in (
        Proposal(EventKind.DEPARTED, ACTORS[3], follows=1),
        Proposal(EventKind.HANDOVER_CONFIRMED, ACTORS[1], follows=1),
        Proposal(
            EventKind.HANDOVER_CONFIRMED, ACTORS[1], follows=1, followed_offer_to=Party(None, 30)
        ),
    ):
        try:
            decide(state, p, 3)
        except RuleViolation:
            continue
        raise AssertionError(f"{p} was not refused")


def test_only_the_named_receiver_confirms() -> None:
    offered = _ok(
        _open(), Proposal(EventKind.HANDOVER_OFFERED, ACTORS[0], receiver=Party(2, 20)), 2
    )
    try:
        decide(offered, Proposal(EventKind.HANDOVER_CONFIRMED, ACTORS[2], follows=2), 3)
    except RuleViolation as exc:
        assert exc.code == "not_receiver"
    else:
        raise AssertionError("a stranger confirmed the handover")


def test_a_disputed_item_waits_for_a_supervisor() -> None:
    offered = _ok(
        _open(), Proposal(EventKind.HANDOVER_OFFERED, ACTORS[0], receiver=Party(None, 20)), 2
    )
    # The giver changes their mind and offers it to the post office instead...
    reoffered = _ok(
        offered, Proposal(EventKind.HANDOVER_OFFERED, ACTORS[0], receiver=Party(None, 30)), 3
    )
    # ...while the postal worker, offline, confirms the first offer.
    disputed = decide(
        reoffered,
        Proposal(
            EventKind.HANDOVER_CONFIRMED, ACTORS[1], follows=2, followed_offer_to=Party(None, 20)
        ),
        4,
    )
    assert isinstance(disputed, Conflict)
    state = disputed.state
    try:
        decide(state, Proposal(EventKind.DEPARTED, ACTORS[0]), 5)
    except RuleViolation as exc:
        assert exc.code == "disputed"
    else:
        raise AssertionError("a disputed item moved")
    resolved = _ok(
        state,
        Proposal(EventKind.INCIDENT_RESOLVED, ACTORS[5], new_custodian=Party(2, 20)),
        5,
    )
    assert not resolved.disputed and resolved.custodian == Party(2, 20)


def test_the_journey_of_a_dossier_and_its_result() -> None:
    s = _open()
    s = _ok(
        s,
        Proposal(
            EventKind.HANDOVER_OFFERED, ACTORS[0], receiver=Party(None, 40), receiver_is_agency=True
        ),
        2,
    )
    s = _ok(s, Proposal(EventKind.DELIVERED_TO_AGENCY, ACTORS[4], follows=2), 3)
    assert s.phase is Phase.AT_AGENCY and s.custodian == Party(5, 40)
    r = _ok(ItemState(), Proposal(EventKind.RESULT_READY, ACTORS[4]), 10)
    r = _ok(r, Proposal(EventKind.HANDOVER_OFFERED, ACTORS[4], receiver=Party(2, 20)), 11)
    r = _ok(r, Proposal(EventKind.RESULT_COLLECTED, ACTORS[1], follows=11), 12)
    r = _ok(r, Proposal(EventKind.OUT_FOR_DELIVERY, ACTORS[1]), 13)
    r = _ok(r, Proposal(EventKind.DELIVERED, ACTORS[1]), 14)
    assert r.phase is Phase.DELIVERED and r.custodian == rules.CITIZEN


def _accepts(state: ItemState, actor: Actor, kind: EventKind, follows: int) -> bool:
    try:
        decide(state, Proposal(kind, actor, follows=follows), 100)
    except RuleViolation:
        return False
    return True


def test_the_receipt_kind_the_scanner_offers_is_the_one_the_rules_accept() -> None:
    """For everyone who handles items and every phase an offered item can be
    in, ``receipt_kind`` (served to the scanner page) names a confirmation the
    rules accept, and the only receipt kind (a step of the journey) they accept."""
    giver = Party(1, 10)
    for actor in ACTORS:
        if actor.role not in rules.HANDLING_ROLES:
            continue
        for phase in set(Phase) - rules.TERMINAL - {Phase.NEW}:
            offer = rules.Offer(9, giver, Party(actor.user_id, actor.unit_id), False)
            state = ItemState(phase=phase, custodian=giver, offer=offer, head_event_id=9)
            kind = rules.receipt_kind(actor.role, phase)
            assert _accepts(state, actor, kind, 9), (actor.role, phase, kind)
            receipts = [k for k in rules.RECEIPTS if _accepts(state, actor, k, 9)]
            assert receipts == ([kind] if kind in rules.RECEIPTS else []), (actor.role, phase)


def _head(event_id: int, p: Proposal) -> Head:
    return Head(event_id, p.kind, p.actor.user_id, p.follows, p.receiver)


def test_a_double_tap_on_confirm_is_one_confirmation_not_a_dispute() -> None:
    offer = Proposal(EventKind.HANDOVER_OFFERED, ACTORS[0], follows=1, receiver=Party(None, 20))
    offered = _ok(_open(), offer, 2)
    confirm = Proposal(
        EventKind.HANDOVER_CONFIRMED, ACTORS[1], follows=2, followed_offer_to=Party(None, 20)
    )
    confirmed = _ok(offered, confirm, 3)
    head = _head(3, confirm)
    # The second tap follows the offer, now stale: without the head it disputes...
    assert isinstance(decide(confirmed, confirm, 4), Conflict)
    # ...with it, it is the first confirmation again.
    assert decide(confirmed, replace(confirm, head=head), 4) == Repeat(3, confirmed)
    # Another worker of the same unit confirming the same offer is still a dispute.
    other = replace(confirm, actor=ACTORS[2], head=head)
    assert isinstance(decide(confirmed, other, 4), Conflict)


def test_a_scan_that_changes_nothing_is_the_last_event_again() -> None:
    opened = _open()
    arrived = Proposal(EventKind.ARRIVED, ACTORS[0], follows=1)
    state = _ok(opened, arrived, 2)
    head = _head(2, arrived)
    assert decide(state, replace(arrived, head=head), 3) == Repeat(2, state)  # double tap
    reload = replace(arrived, follows=2, head=head)
    assert decide(state, reload, 3) == Repeat(2, state)
    assert decide(state, replace(reload, follows=None), 3) == Repeat(2, state)
    # Leaving after arriving is a new fact; so is arriving again after leaving.
    departed = Proposal(EventKind.DEPARTED, ACTORS[0], follows=2, head=head)
    state = _ok(state, departed, 3)
    again = Proposal(EventKind.ARRIVED, ACTORS[0], follows=3, head=_head(3, departed))
    assert isinstance(decide(state, again, 4), Accept)
    # An offer again to the one it stands offered to is that offer; to another, a new one.
    offer = Proposal(EventKind.HANDOVER_OFFERED, ACTORS[0], follows=3, receiver=Party(None, 20))
    state = _ok(state, offer, 4)
    head = _head(4, offer)
    assert decide(state, replace(offer, head=head), 5) == Repeat(4, state)
    elsewhere = replace(offer, follows=4, receiver=Party(None, 30), head=head)
    assert isinstance(decide(state, elsewhere, 5), Accept)
    # A head that is not the state's own (an older event) names no repeat.
    stale_head = replace(head, event_id=3)
    assert isinstance(decide(state, replace(offer, follows=4, head=stale_head), 5), Accept)


def test_incidents_and_corrections_are_each_a_new_fact() -> None:
    state = _open()
    for kind in (EventKind.INCIDENT_OPENED, EventKind.CORRECTED):
        p = Proposal(kind, ACTORS[0], follows=state.head_event_id, corrects=1)
        event_id = (state.head_event_id or 0) + 1
        state = _ok(state, p, event_id)
        again = replace(p, follows=event_id, head=_head(event_id, p))
        assert isinstance(decide(state, again, event_id + 1), Accept)
