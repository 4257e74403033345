"""Building, offering and receiving manifests. Every custody change goes
through the ledger (its rules, row locks and hash chain); this module only
decides which events a bag means, and keeps the bag's own rows.

Services flush; the request (or ``db.transaction``) commits once, so an offer
of 100 items or a receipt of 100 scans is one transaction: all or nothing.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_
from sqlalchemy.orm import Session
from sqlmodel import col, select

from postal_tracker import s10
from postal_tracker.auth.models import User
from postal_tracker.auth.roles import Role
from postal_tracker.auth.service import find_user, unit_ids_of, units_of
from postal_tracker.custody import ledger
from postal_tracker.custody.actors import actor_for
from postal_tracker.custody.chain import digest
from postal_tracker.custody.errors import IdempotencyMismatch
from postal_tracker.custody.ledger import Scan
from postal_tracker.custody.models import Alert, Item
from postal_tracker.custody.rules import HANDLING_ROLES, TERMINAL, Actor, EventKind, Party, Phase
from postal_tracker.db import utcnow
from postal_tracker.errors import N_, Conflict, DomainError, Forbidden
from postal_tracker.intake.access import item_by_code
from postal_tracker.manifests.models import (
    Manifest,
    ManifestCheck,
    ManifestLine,
    ManifestStatus,
    Outcome,
)
from postal_tracker.manifests.reconcile import confirming_kind, split
from postal_tracker.manifests.slip import issue_manifest_slip
from postal_tracker.slips.issuing import SlipIssuer
from postal_tracker.units.kinds import UnitKind
from postal_tracker.units.models import Unit
from postal_tracker.units.service import units_under

MAX_ITEMS = 500
_REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L to misread
# What a typed or scanned reference must look like (upper-cased first).
REFERENCE = re.compile(r"BK-[A-Z0-9]{8}")


SCAN_ONE = N_("Scan at least one item.")


@dataclass(frozen=True)
class Receiver:
    user_id: int | None
    unit_id: int | None
    is_agency: bool = False


@dataclass(frozen=True)
class Reconciliation:
    reference: str
    confirmed: tuple[str, ...]
    missing: tuple[str, ...]
    extra: tuple[str, ...]
    conflict: tuple[str, ...]
    replayed: bool = False

    def as_json(self) -> dict[str, object]:
        return {
            "reference": self.reference,
            "confirmed": list(self.confirmed),
            "missing": list(self.missing),
            "extra": list(self.extra),
            "conflict": list(self.conflict),
        }


# -- who sees what ---------------------------------------------------------


def receiver_party(manifest: Manifest) -> Party | None:
    if manifest.receiver_user_id is None and manifest.receiver_unit_id is None:
        return None
    return Party(manifest.receiver_user_id, manifest.receiver_unit_id)


def is_receiver(session: Session, user: User, manifest: Manifest) -> bool:
    party = receiver_party(manifest)
    return party is not None and party.includes(actor_for(session, user))


def visible_manifest(session: Session, user: User, reference: str) -> Manifest | None:
    """The manifest if ``user`` is its giver or receiver, or supervises the
    region of either side; None otherwise (answer 404, as for no manifest)."""
    manifest = session.scalars(
        select(Manifest).where(Manifest.reference == reference.strip().upper())
    ).first()
    if manifest is None:
        return None
    if manifest.giver_user_id == user.id or is_receiver(session, user, manifest):
        return manifest
    if user.role is Role.SUPERVISOR:
        region = {u.id for u in units_under(session, units_of(session, user))}
        if {manifest.giver_unit_id, manifest.receiver_unit_id} & region:
            return manifest
    return None


def manifests_of(session: Session, user: User) -> tuple[list[Manifest], list[Manifest]]:
    """(manifests ``user`` gives that are not yet received, manifests offered
    to ``user`` or their offices), newest first."""
    giving = session.scalars(
        select(Manifest)
        .where(
            Manifest.giver_user_id == user.id,
            col(Manifest.status).in_([ManifestStatus.OPEN, ManifestStatus.OFFERED]),
        )
        .order_by(col(Manifest.id).desc())
    ).all()
    units = unit_ids_of(session, user)
    incoming = session.scalars(
        select(Manifest)
        .where(
            Manifest.status == ManifestStatus.OFFERED,
            or_(
                col(Manifest.receiver_user_id) == user.id,
                col(Manifest.receiver_user_id).is_(None)
                & col(Manifest.receiver_unit_id).in_(units),
            ),
        )
        .order_by(col(Manifest.id).desc())
    ).all()
    return list(giving), list(incoming)


def listed_items(session: Session, manifest: Manifest) -> list[tuple[ManifestLine, Item]]:
    """The manifest's current lines with their items, in the order added."""
    rows = session.execute(
        select(ManifestLine, Item)
        .join(Item, col(Item.id) == ManifestLine.item_id)
        .where(ManifestLine.manifest_id == manifest.id, col(ManifestLine.removed_at).is_(None))
        .order_by(col(ManifestLine.id))
    ).all()
    return [(line, item) for line, item in rows]


def checks_of(session: Session, manifest: Manifest) -> list[ManifestCheck]:
    return list(
        session.scalars(
            select(ManifestCheck)
            .where(ManifestCheck.manifest_id == manifest.id)
            .order_by(col(ManifestCheck.id))
        )
    )


# -- building --------------------------------------------------------------


def manifest_by_create_id(session: Session, client_id: str) -> Manifest | None:
    return session.scalars(select(Manifest).where(Manifest.create_client_id == client_id)).first()


def create_manifest(
    session: Session, user: User, *, client_id: str, unit_id: int | None = None, note: str = ""
) -> Manifest:
    """A new open manifest given by ``user`` for one of their units; a retry
    with the same client id gets the same manifest."""
    earlier = manifest_by_create_id(session, client_id)
    if earlier is not None:
        if earlier.giver_user_id != user.id:
            raise IdempotencyMismatch("This client id was already used.")
        return earlier
    if user.role not in HANDLING_ROLES:
        raise Forbidden(N_("Your role does not hand items over."), code="role")
    units = unit_ids_of(session, user)
    if unit_id is not None and unit_id not in units:
        raise DomainError(N_("Choose one of your offices."), field="unit_id", code="unit")
    assert user.id is not None
    manifest = Manifest(
        reference=_new_reference(session),
        giver_user_id=user.id,
        giver_unit_id=unit_id if unit_id is not None else (units[0] if units else None),
        create_client_id=client_id,
        note=note.strip()[:500],
    )
    session.add(manifest)
    session.flush()
    return manifest


def _new_reference(session: Session) -> str:
    while True:
        ref = "BK-" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))
        if session.scalars(select(Manifest.id).where(Manifest.reference == ref)).first() is None:
            return ref


def parse_code(text: str, field: str = "code") -> str:
    """A tracking code as typed or scanned, or a clear error about it."""
    try:
        return s10.validate(text)
    except s10.InvalidTrackingCode as exc:
        raise DomainError(exc.message, field=field, code=exc.code) from None


def add_item(session: Session, user: User, manifest: Manifest, text: str) -> ManifestLine:
    """Put the item with code ``text`` into the open ``manifest``. Adding an
    item already listed gives its line again (a scanner may read twice)."""
    code = parse_code(text)
    manifest = lock_manifest(session, manifest)
    _need_open_by(user, manifest)
    item = session.scalars(select(Item).where(Item.tracking_code == code).with_for_update()).first()
    actor = actor_for(session, user, manifest.giver_unit_id)
    state = ledger.state_of(item) if item is not None else None
    if state is None or state.custodian is None or not state.custodian.includes(actor):
        # Unknown and not-yours read the same: nobody learns what exists elsewhere.
        raise DomainError(
            N_("You do not hold an item with this code."), field="code", code="not_held"
        )
    assert item is not None and item.id is not None and manifest.id is not None
    if item.disputed:
        raise DomainError(
            N_("This item is disputed; a supervisor must resolve it first."),
            field="code",
            code="disputed",
        )
    if item.phase in TERMINAL:
        raise DomainError(N_("This item's journey has ended."), field="code", code="closed")
    other = _open_line_of(session, item.id)
    if other is not None:
        if other.manifest_id == manifest.id:
            return other
        raise DomainError(
            N_("This item is already in another open manifest."),
            field="code",
            code="in_other_manifest",
        )
    if len(listed_items(session, manifest)) >= MAX_ITEMS:
        raise DomainError(N_("This manifest is full; start another."), field="code", code="full")
    line = ManifestLine(manifest_id=manifest.id, item_id=item.id)
    session.add(line)
    session.flush()
    return line


def _open_line_of(session: Session, item_id: int) -> ManifestLine | None:
    """The item's line in a manifest not yet received, if any."""
    return session.scalars(
        select(ManifestLine)
        .join(Manifest, col(Manifest.id) == ManifestLine.manifest_id)
        .where(
            ManifestLine.item_id == item_id,
            col(ManifestLine.removed_at).is_(None),
            col(Manifest.status).in_([ManifestStatus.OPEN, ManifestStatus.OFFERED]),
        )
    ).first()


def remove_item(session: Session, user: User, manifest: Manifest, text: str) -> None:
    """Take an item out of an open manifest (the line is kept, marked removed)."""
    code = parse_code(text)
    manifest = lock_manifest(session, manifest)
    _need_open_by(user, manifest)
    for line, item in listed_items(session, manifest):
        if item.tracking_code == code:
            line.removed_at = utcnow()
            session.flush()
            return
    raise DomainError(N_("This item is not in the manifest."), field="code", code="not_listed")


def _need_open_by(user: User, manifest: Manifest) -> None:
    if manifest.giver_user_id != user.id:
        raise Forbidden(N_("Only the giver changes a manifest."), code="not_giver")
    if manifest.status is not ManifestStatus.OPEN:
        raise Conflict(
            N_("This manifest was already handed over; it cannot change."), code="not_open"
        )


# -- offering --------------------------------------------------------------


def find_receiver(session: Session, username: str, unit_code: str) -> Receiver:
    """The receiver named by a username or a unit code (or both)."""
    user_id = unit_id = None
    is_agency = False
    if username.strip():
        person = find_user(session, username)
        if person is None or not person.active or person.role not in HANDLING_ROLES:
            raise DomainError(N_("No such person."), field="receiver_username", code="receiver")
        user_id = person.id
    if unit_code.strip():
        unit = session.scalars(select(Unit).where(Unit.code == unit_code.strip())).first()
        if unit is None or not unit.active:
            raise DomainError(N_("No such office."), field="receiver_unit", code="receiver_unit")
        unit_id, is_agency = unit.id, unit.kind is UnitKind.AGENCY
    if user_id is None and unit_id is None:
        raise DomainError(
            N_("Name the person or the office who receives."),
            field="receiver_username",
            code="no_receiver",
        )
    return Receiver(user_id, unit_id, is_agency)


def offer_manifest(
    session: Session,
    user: User,
    manifest: Manifest,
    receiver: Receiver,
    *,
    client_id: str,
    device_time: datetime,
    issuer: SlipIssuer | None,
) -> Manifest:
    """Offer every listed item to ``receiver``, one ``handover_offered`` event
    each, and issue the bag's handover slip (by ``issuer``; None only where no
    paper is wanted, as in tests of custody alone), whose id and hash each
    event records, in one transaction. A retry with the same client id
    changes nothing."""
    manifest = lock_manifest(session, manifest)
    if manifest.offer_client_id == client_id:
        if (manifest.receiver_user_id, manifest.receiver_unit_id) != (
            receiver.user_id,
            receiver.unit_id,
        ):
            raise IdempotencyMismatch("This client id was already used for another receiver.")
        return manifest
    _need_open_by(user, manifest)
    if session.scalars(select(Manifest.id).where(Manifest.offer_client_id == client_id)).first():
        raise IdempotencyMismatch("This client id was already used.")
    actor = actor_for(session, user, manifest.giver_unit_id)
    if Party(receiver.user_id, receiver.unit_id).includes(actor):
        raise DomainError(
            N_("You cannot hand items to yourself."), field="receiver_username", code="self"
        )
    lines = listed_items(session, manifest)
    if not lines:
        raise DomainError(SCAN_ONE, field="code", code="empty")
    _lock(session, [item for _, item in lines])
    manifest.receiver_user_id = receiver.user_id
    manifest.receiver_unit_id = receiver.unit_id
    manifest.receiver_is_agency = receiver.is_agency
    manifest.offered_at = utcnow()
    assert user.id is not None
    slip_facts: dict[str, object] = {}
    if issuer is not None:
        slip = issue_manifest_slip(session, issuer, manifest, lines, user.id)
        slip_facts = {"slip_id": slip.id, "slip_sha256": slip.sha256}
    for line, item in sorted(lines, key=lambda pair: pair[1].id or 0):
        answer = ledger.record(
            session,
            actor,
            Scan(
                client_id=f"{manifest.reference}:offer:{item.tracking_code}",
                tracking_code=item.tracking_code,
                kind=EventKind.HANDOVER_OFFERED,
                device_time=device_time,
                receiver_user_id=receiver.user_id,
                receiver_unit_id=receiver.unit_id,
                receiver_is_agency=receiver.is_agency,
                data={"manifest": manifest.reference, **slip_facts},
            ),
        )
        line.offer_event_id = answer.event_id
    manifest.offer_client_id = client_id
    manifest.status = ManifestStatus.OFFERED
    session.flush()
    return manifest


def lock_manifest(session: Session, manifest: Manifest) -> Manifest:
    """Lock the manifest row and re-read it, so that two requests on the same
    bag (a double tap, two colleagues of the receiving office) run one after
    the other, the second seeing what the first did."""
    locked = session.scalars(
        select(Manifest)
        .where(Manifest.id == manifest.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    return locked


def _lock(session: Session, items: Sequence[Item]) -> None:
    """Lock the items in id order in one statement, so that two bags sharing
    items cannot deadlock on PostgreSQL (SQLite's BEGIN IMMEDIATE already holds
    the write lock)."""
    ids = sorted(i.id for i in items if i.id is not None)
    if ids:
        session.scalars(
            select(Item).where(col(Item.id).in_(ids)).order_by(col(Item.id)).with_for_update()
        ).all()


# -- receiving -------------------------------------------------------------


def receipt_digest(user: User, codes: Sequence[str]) -> str:
    return digest({"user": user.id, "codes": sorted(set(codes))})


def parse_codes(texts: Sequence[str]) -> list[str]:
    """Scanned codes, each checked; errors name the position (``codes.3``)."""
    if not [t for t in texts if t.strip()]:
        raise DomainError(SCAN_ONE, field="codes", code="empty")
    codes = []
    for n, text in enumerate(texts):
        if text.strip():
            codes.append(parse_code(text, field=f"codes.{n}"))
    return codes


def receive_manifest(
    session: Session,
    user: User,
    manifest: Manifest,
    codes: Sequence[str],
    *,
    client_id: str,
    device_time: datetime,
) -> Reconciliation:
    """Reconcile the receiver's scans (valid tracking codes) with the manifest.

    Listed and scanned: confirmed (custody moves), or a conflict if the item
    moved meanwhile. Listed, not scanned: missing, stays with the giver, an
    ``incident_opened`` (not_found) and an alert. Scanned, not listed: extra;
    an item the receiver may see also gets an incident (wrong_item).
    """
    request_digest = receipt_digest(user, codes)
    manifest = lock_manifest(session, manifest)
    if manifest.receipt_client_id == client_id:
        if manifest.receipt_digest != request_digest:
            raise IdempotencyMismatch(
                "This client id was already used for other scans; nothing was recorded."
            )
        return _reconciliation(session, manifest, replayed=True)
    if not is_receiver(session, user, manifest):
        raise Forbidden(N_("Only the receiver scans this manifest in."), code="not_receiver")
    if manifest.status is not ManifestStatus.OFFERED:
        if manifest.status is ManifestStatus.OPEN:
            raise Conflict(N_("This manifest is not waiting for receipt."), code="not_offered")
        raise Conflict(N_("This manifest was already received."), code="already_received")
    if not codes:
        raise DomainError(SCAN_ONE, field="codes", code="empty")
    if session.scalars(select(Manifest.id).where(Manifest.receipt_client_id == client_id)).first():
        raise IdempotencyMismatch("This client id was already used.")
    actor = actor_for(session, user, manifest.receiver_unit_id)
    lines = {item.tracking_code: (line, item) for line, item in listed_items(session, manifest)}
    parts = split(lines, codes)
    extras = {
        i.tracking_code: i
        for i in session.scalars(select(Item).where(col(Item.tracking_code).in_(parts.extra)))
    }
    involved = [item for _, item in lines.values()] + list(extras.values())
    _lock(session, involved)
    outcomes: dict[str, tuple[Outcome, int | None, int | None]] = {}
    scanned_listed, missing = set(parts.scanned_listed), set(parts.missing)
    ref = manifest.reference
    for item in sorted(involved, key=lambda i: i.id or 0):
        code = item.tracking_code
        if code in scanned_listed:
            line = lines[code][0]
            answer = ledger.record(
                session,
                actor,
                Scan(
                    client_id=f"{ref}:receive:{code}",
                    tracking_code=code,
                    kind=confirming_kind(Phase(item.phase), item.offered_to_agency),
                    device_time=device_time,
                    follows=line.offer_event_id,
                    data={"manifest": ref},
                ),
            )
            outcome = Outcome.CONFLICT if answer.conflict else Outcome.CONFIRMED
            outcomes[code] = (outcome, item.id, answer.event_id)
        elif code in missing:
            event_id = _incident(session, actor, item, ref, "not_found", device_time)
            session.add(
                Alert(
                    kind="manifest_missing",
                    unit_id=manifest.giver_unit_id,
                    item_id=item.id,
                    event_id=event_id,
                    message=f"{code} listed in manifest {ref} was not received.",
                    message_id=N_("%(code)s listed in manifest %(ref)s was not received."),
                    params={"code": code, "ref": ref},
                )
            )
            outcomes[code] = (Outcome.MISSING, item.id, event_id)
        elif item_by_code(session, user, code) is not None:
            event_id = _incident(session, actor, item, ref, "wrong_item", device_time)
            session.add(
                Alert(
                    kind="manifest_extra",
                    unit_id=item.custodian_unit_id or manifest.receiver_unit_id,
                    item_id=item.id,
                    event_id=event_id,
                    message=f"{code} was received with manifest {ref} without being listed.",
                    message_id=N_(
                        "%(code)s was received with manifest %(ref)s without being listed."
                    ),
                    params={"code": code, "ref": ref},
                )
            )
            outcomes[code] = (Outcome.EXTRA, item.id, event_id)
        else:
            outcomes[code] = (Outcome.EXTRA, item.id, None)
    assert manifest.id is not None
    # Rows in the order people read them: the listed items, then the extras.
    for code in (*parts.scanned_listed, *parts.missing, *parts.extra):
        outcome, item_id, event_id = outcomes.get(code, (Outcome.EXTRA, None, None))
        session.add(
            ManifestCheck(
                manifest_id=manifest.id,
                tracking_code=code,
                item_id=item_id,
                outcome=outcome,
                event_id=event_id,
            )
        )
    manifest.status = ManifestStatus.RECEIVED
    manifest.receipt_client_id = client_id
    manifest.receipt_digest = request_digest
    manifest.received_at = utcnow()
    manifest.received_by_user_id = user.id
    session.flush()
    return _reconciliation(session, manifest)


def _incident(
    session: Session,
    actor: Actor,
    item: Item,
    reference: str,
    kind: str,
    device_time: datetime,
) -> int | None:
    answer = ledger.record(
        session,
        actor,
        Scan(
            client_id=f"{reference}:{kind}:{item.tracking_code}",
            tracking_code=item.tracking_code,
            kind=EventKind.INCIDENT_OPENED,
            device_time=device_time,
            data={"incident": {"kind": kind}, "manifest": reference},
        ),
    )
    return answer.event_id


def _reconciliation(session: Session, manifest: Manifest, replayed: bool = False) -> Reconciliation:
    checks = checks_of(session, manifest)

    def codes(outcome: Outcome) -> tuple[str, ...]:
        return tuple(c.tracking_code for c in checks if c.outcome is outcome)

    return Reconciliation(
        reference=manifest.reference,
        confirmed=codes(Outcome.CONFIRMED),
        missing=codes(Outcome.MISSING),
        extra=codes(Outcome.EXTRA),
        conflict=codes(Outcome.CONFLICT),
        replayed=replayed,
    )
