"""What a receiver's scans say about a manifest, and how each item's receipt is
recorded: pure rules, no Flask, no database."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from postal_tracker.custody.rules import EventKind, Phase


@dataclass(frozen=True)
class Split:
    """Listed and scanned (to confirm), listed only (missing), scanned only (extra);
    each in the order given."""

    scanned_listed: tuple[str, ...]
    missing: tuple[str, ...]
    extra: tuple[str, ...]


def split(listed: Iterable[str], scanned: Iterable[str]) -> Split:
    listed = list(dict.fromkeys(listed))
    scanned = list(dict.fromkeys(scanned))  # a code scanned twice counts once
    listed_set, scanned_set = set(listed), set(scanned)
    return Split(
        scanned_listed=tuple(c for c in listed if c in scanned_set),
        missing=tuple(c for c in listed if c not in scanned_set),
        extra=tuple(c for c in scanned if c not in listed_set),
    )


def confirming_kind(phase: Phase, offered_to_agency: bool) -> EventKind:
    """The event by which the receiver of a bag confirms one item, by where the
    item is in its journey (the custody rules accept only this one there)."""
    if offered_to_agency:
        if phase in (Phase.ACCEPTED, Phase.IN_TRANSIT):
            return EventKind.DELIVERED_TO_AGENCY
        return EventKind.RETURNED_TO_AGENCY
    if phase is Phase.RESULT_READY:
        return EventKind.RESULT_COLLECTED
    return EventKind.HANDOVER_CONFIRMED
