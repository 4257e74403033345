"""The hash of one event, pinned: chains written by earlier versions must still verify."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from postal_tracker.custody.chain import GENESIS, event_hash


def _event(kind: str) -> dict[str, Any]:
    return {
        "seq": 1,
        "client_id": "c-1",
        "kind": kind,
        "actor_user_id": 3,
        "actor_unit_id": 4,
        "counterpart_user_id": None,
        "counterpart_unit_id": None,
        "follows_event_id": None,
        "corrects_event_id": None,
        "device_time": datetime(2026, 11, 30, 1, 2, 3, tzinfo=UTC),
        "device_utc_offset_min": 420,
        "server_time": datetime(2026, 11, 30, 1, 2, 4, tzinfo=UTC),
        "data": {"a": 1},
        "request_digest": "d" * 64,
        "prev_hash": GENESIS,
    }


# Computed by the code before migration 0011, when each event stored the HTTP
# status of its first answer (201, or 409 for a conflict) and hashed it.
@pytest.mark.parametrize(
    ("kind", "written_before"),
    [
        ("accepted", "2e82f64a0775b9e47cc44b093008788aba4e4696f66ae2f61049790599d651ad"),
        ("conflict", "86e60a42f6b6742769eececddbde6ec5b09971555c51f1d0dac92e93eceeabef"),
    ],
)
def test_events_hashed_with_their_answer_status_still_verify(
    kind: str, written_before: str
) -> None:
    assert event_hash("HC000000015VN", _event(kind)) == written_before


def test_the_kind_is_in_the_hash() -> None:
    assert event_hash("HC000000015VN", _event("accepted")) != event_hash(
        "HC000000015VN", _event("arrived")
    )
