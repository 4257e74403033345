"""The per-item hash chain, pure: what an event's hash covers and how it is made."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

GENESIS = "0" * 64


def canonical_json(value: Any) -> bytes:
    """One byte string per value: sorted keys, no spaces, UTF-8."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default
    ).encode()


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds")
    raise TypeError(f"cannot hash {type(value).__name__}")


def digest(value: Any) -> str:
    return hashlib.sha256(canonical_json(value)).hexdigest()


HASHED_FIELDS = (
    "seq",
    "client_id",
    "kind",
    "actor_user_id",
    "actor_unit_id",
    "counterpart_user_id",
    "counterpart_unit_id",
    "follows_event_id",
    "corrects_event_id",
    "device_time",
    "device_utc_offset_min",
    "server_time",
    "data",
    "request_digest",
    "prev_hash",
)


def event_hash(tracking_code: str, fields: dict[str, Any]) -> str:
    """The hash of one event: its content, its item and the previous hash."""
    content: dict[str, Any] = {name: fields[name] for name in HASHED_FIELDS}
    # Chains written before migration 0011 hashed the HTTP status the event was
    # first answered with, which was 409 for a conflict and 201 otherwise. The
    # ledger no longer stores a status, so the same number is derived from the
    # kind here and every chain already written still verifies.
    content["answer_status"] = 409 if fields["kind"] == "conflict" else 201
    content["item"] = tracking_code
    return digest(content)
