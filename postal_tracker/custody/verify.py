"""Recompute every item's hash chain and compare it with what is stored.

Finds a changed byte (the hash no longer matches), a deleted event (a gap in
the sequence or a broken link), a swapped pair (links out of order) and a cut
tail (the item's recorded head is not the last event).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session
from sqlmodel import col, select

from postal_tracker.custody.chain import GENESIS, HASHED_FIELDS, event_hash
from postal_tracker.custody.models import CustodyEvent, Item


@dataclass(frozen=True)
class Break:
    tracking_code: str
    event_id: int | None
    seq: int | None
    problem: str

    def __str__(self) -> str:
        where = f"event {self.event_id} (#{self.seq})" if self.event_id else "item head"
        return f"{self.tracking_code}: {where}: {self.problem}"


def _fields(event: CustodyEvent) -> dict[str, Any]:
    values = {name: getattr(event, name) for name in HASHED_FIELDS}
    values["kind"] = str(event.kind)
    return values


def verify_item(item: Item, events: list[CustodyEvent]) -> Break | None:
    """The first break in ``item``'s chain, or None if it is whole."""
    prev = GENESIS
    for expected_seq, event in enumerate(events, start=1):
        if event.seq != expected_seq:
            return Break(
                item.tracking_code,
                event.id,
                event.seq,
                f"sequence jumps from {expected_seq - 1} to {event.seq}: events missing",
            )
        if event.prev_hash != prev:
            return Break(
                item.tracking_code,
                event.id,
                event.seq,
                "does not link to the previous event (deleted or reordered)",
            )
        if event_hash(item.tracking_code, _fields(event)) != event.hash:
            return Break(
                item.tracking_code, event.id, event.seq, "content does not match its hash (altered)"
            )
        prev = event.hash
    last = events[-1] if events else None
    if item.event_count != len(events) or (last and item.head_hash != last.hash):
        return Break(
            item.tracking_code,
            None,
            None,
            f"the item records {item.event_count} events but {len(events)} remain "
            "(history cut short or item altered)",
        )
    return None


def verify_all(session: Session) -> Iterator[Break]:
    """Every item's first break, item by item, in a bounded amount of memory."""
    items = session.scalars(select(Item).order_by(col(Item.id))).all()
    for item in items:
        events = list(
            session.scalars(
                select(CustodyEvent)
                .where(CustodyEvent.item_id == item.id)
                .order_by(col(CustodyEvent.seq), col(CustodyEvent.id))
            )
        )
        broken = verify_item(item, events)
        if broken:
            yield broken
