"""Issuing, checking and revoking device tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from postal_tracker.api.models import ApiToken
from postal_tracker.auth.models import Membership, Role, User
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
_BEARER = (
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


def bearer_for_token(session: Session, clear: str) -> Bearer | None:
    """The holder of ``clear`` if it is a live token of an active user. One
    statement reads the token, the user and their memberships; the token's
    last use is written at most every :data:`TOUCH_EVERY`."""
    if not clear.startswith(PREFIX) or len(clear) > 100:
        return None
    rows = session.execute(_BEARER, {"token_hash": _hash(clear)}).all()
    if not rows:
        return None
    token_id, revoked_at, last_used_at, user_id, role, active, _ = rows[0]
    if revoked_at is not None or not active:
        return None
    now = utcnow()
    if last_used_at is None or now - last_used_at > TOUCH_EVERY:
        session.execute(_TOUCH, {"token_id": token_id, "now": now})
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
