"""Signed checkpoints of every item's chain, exported outside the database.

A checkpoint lists, for every item, how many events it had and the hash of the
last one, with a digest over all of it, signed with the server's Ed25519 key
(the slip keys, under a context string of their own so a checkpoint signature
can never pass for a slip's, nor the reverse). It is written as a file outside
the database (the instance folder by default; copy it off the machine).

``verify`` then checks, besides each chain on its own, that the history up to
the last checkpoint is still there unchanged: an attacker who deletes the
tail of an item's history *and* rewrites the item row to match is caught.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from sqlalchemy.orm import Session
from sqlmodel import col, select

from postal_tracker.custody.chain import canonical_json, digest
from postal_tracker.custody.models import CustodyEvent, Item
from postal_tracker.db import utcnow
from postal_tracker.slips.keys import KeyRing

CONTEXT = b"postal-tracker/checkpoint/v1\x00"
FORMAT = "postal-tracker-checkpoint/1"


class CheckpointError(Exception):
    """The checkpoint file itself is unreadable, unsigned or altered."""


@dataclass(frozen=True)
class CheckpointBreak:
    tracking_code: str
    problem: str

    def __str__(self) -> str:
        return f"{self.tracking_code}: {self.problem}"


def _heads(session: Session) -> list[list[Any]]:
    rows = session.execute(
        select(Item.tracking_code, Item.event_count, Item.head_hash).order_by(
            col(Item.tracking_code)
        )
    ).all()
    return [[code, count, head] for code, count, head in rows if count]


def make_checkpoint(session: Session, ring: KeyRing, now: datetime | None = None) -> dict[str, Any]:
    heads = _heads(session)
    body = {
        "format": FORMAT,
        "created_at": (now or utcnow()).isoformat(timespec="seconds"),
        "items": heads,
        "digest": digest(heads),
        "key_id": ring.active.key_id,
    }
    signature = ring.active.private_key.sign(CONTEXT + canonical_json(body))
    return {**body, "signature": base64.b64encode(signature).decode()}


def write_checkpoint(checkpoint: dict[str, Any], directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    stamp = checkpoint["created_at"].replace(":", "").replace("-", "")[:15]
    path = directory / f"checkpoint-{stamp}-{checkpoint['digest'][:12]}.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(checkpoint, indent=1, ensure_ascii=False))
    tmp.replace(path)
    return path


def latest_checkpoint(directory: Path) -> Path | None:
    files = sorted(directory.glob("checkpoint-*.json"))
    return files[-1] if files else None


def load_checkpoint(path: Path, ring: KeyRing) -> dict[str, Any]:
    """The checkpoint in ``path``, its signature and digest checked."""
    try:
        data: dict[str, Any] = json.loads(path.read_text())
        signature = base64.b64decode(data.pop("signature"), validate=True)
        key = ring.public_keys()[data["key_id"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CheckpointError(f"{path.name}: unreadable or unsigned ({exc})") from None
    try:
        key.verify(signature, CONTEXT + canonical_json(data))
    except InvalidSignature:
        raise CheckpointError(f"{path.name}: the signature does not match (altered)") from None
    if data.get("digest") != digest(data.get("items")):
        raise CheckpointError(f"{path.name}: the digest does not match its items")
    return data


def check_against(session: Session, checkpoint: dict[str, Any]) -> Iterator[CheckpointBreak]:
    """Every item whose history up to the checkpoint is gone or changed."""
    for code, count, head in checkpoint["items"]:
        item = session.scalars(select(Item).where(Item.tracking_code == code)).first()
        if item is None:
            yield CheckpointBreak(code, "the item is gone")
            continue
        event = session.scalars(
            select(CustodyEvent).where(CustodyEvent.item_id == item.id, CustodyEvent.seq == count)
        ).first()
        if event is None:
            yield CheckpointBreak(
                code, f"event #{count}, present at the checkpoint, is missing (history cut)"
            )
        elif event.hash != head:
            yield CheckpointBreak(
                code, f"event #{count} differs from the checkpoint (history rewritten)"
            )
