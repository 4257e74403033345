"""Issuing, checking and revoking device tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy.orm import Session
from sqlmodel import col, select

from postal_tracker.api.models import ApiToken
from postal_tracker.auth.models import User
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


def user_for_token(session: Session, clear: str) -> User | None:
    if not clear.startswith(PREFIX) or len(clear) > 100:
        return None
    found = session.execute(
        select(ApiToken, User)
        .join(User, col(User.id) == ApiToken.user_id)
        .where(ApiToken.token_hash == _hash(clear))
    ).first()
    if found is None:
        return None
    row, user = found
    if row.revoked_at is not None or not user.active:
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > TOUCH_EVERY:
        row.last_used_at = now
    return user


def revoke_token(session: Session, user: User, token_id: int) -> bool:
    """Revoke one of ``user``'s tokens; False if there is no such token of theirs."""
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        return False
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.flush()
    return True
