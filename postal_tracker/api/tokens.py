"""Issuing, checking and revoking device tokens."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from postal_tracker import pg_direct
from postal_tracker.api.models import ApiToken
from postal_tracker.auth.models import Membership, User
from postal_tracker.auth.roles import Role
from postal_tracker.db import utcnow

PREFIX = "pt_"
# last_used_at is written at most this often, so reads stay reads.
TOUCH_EVERY = timedelta(minutes=5)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, user: User, device_name: str) -> tuple[ApiToken, str]:
    """A new token for ``user``; the clear text is returned once, never stored."""
    assert user.id is not None
    clear = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, token_hash=_hash(clear), device_name=device_name[:100])
    session.add(row)
    session.flush()
    return row, clear


@dataclass(frozen=True)
class Bearer:
    """Who holds a valid token: the user's id and role, and their unit ids in
    membership order (enough for the custody rules without loading the user)."""

    user_id: int
    role: Role
    unit_ids: list[int]


# Built once, so that only its cached compiled form is looked up per request.
BEARER = (
    select(
        col(ApiToken.id),
        col(ApiToken.revoked_at),
        col(ApiToken.last_used_at),
        col(ApiToken.user_id),
        col(User.role),
        col(User.active),
        col(Membership.unit_id),
    )
    .join(User, col(User.id) == ApiToken.user_id)
    .outerjoin(Membership, col(Membership.user_id) == User.id)
    .where(col(ApiToken.token_hash) == bindparam("token_hash"))
    .order_by(col(Membership.id))
)
_TOUCH = (
    update(ApiToken)
    .where(col(ApiToken.id) == bindparam("token_id"))
    .values(last_used_at=bindparam("now"))
)


# How many of a row's first columns are BEARER's, when a query adds its own.
BEARER_WIDTH = 7


def bearer_for_token(session: Session, clear: str) -> Bearer | None:
    """The holder of ``clear`` if it is a live token of an active user. One
    statement reads the token, the user and their memberships."""
    token_hash = hash_of(clear)
    if token_hash is None:
        return None
    rows = session.execute(BEARER, {"token_hash": token_hash}).all()
    return bearer_of_rows(session, rows)


def hash_of(clear: str) -> str | None:
    """What a token is looked up by (None for what cannot be a token)."""
    if not clear.startswith(PREFIX) or len(clear) > 100:
        return None
    return _hash(clear)


def bearer_of_rows(bind: Session | sa.Connection, rows: Sequence[Sequence[Any]]) -> Bearer | None:
    """The holder of a live token from the rows of :data:`BEARER` (whose
    columns may be followed by others), or None. The token's last use is
    written through ``bind``, at most every :data:`TOUCH_EVERY`."""
    if not rows:
        return None
    token_id, revoked_at, last_used_at, user_id, role, active = rows[0][:6]
    if revoked_at is not None or not active:
        return None
    now = utcnow()
    # Read by the driver (naive UTC) or by SQLAlchemy (aware).
    last_used = pg_direct.aware(last_used_at)
    if last_used is None or now - last_used > TOUCH_EVERY:
        bind.execute(_TOUCH, {"token_id": token_id, "now": now})
    return Bearer(user_id, Role(role), [row[6] for row in rows if row[6] is not None])


def revoke_token(session: Session, user: User, token_id: int) -> bool:
    """Revoke one of ``user``'s tokens; False if there is no such token of theirs."""
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        return False
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.flush()
    return True
