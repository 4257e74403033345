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


# What the holder of the token ``:token_hash`` is read by, a row per membership.
_BEARER_COLUMNS: tuple[sa.Label[Any], ...] = (
    col(ApiToken.id).label("token_id"),
    col(ApiToken.revoked_at).label("token_revoked_at"),
    col(ApiToken.last_used_at).label("token_last_used_at"),
    col(ApiToken.user_id).label("token_user_id"),
    col(User.role).label("token_user_role"),
    col(User.active).label("token_user_active"),
    col(Membership.unit_id).label("token_user_unit_id"),
)


def with_bearer(statement: sa.Select[*tuple[Any, ...]], left: Any) -> sa.Select[*tuple[Any, ...]]:
    """``statement`` also reading the holder of the token ``:token_hash``, by
    outer joins from its ``left`` table (its rows come back whether or not the
    token names anyone); :func:`bearer_of_rows` reads them."""
    return (
        statement.add_columns(*_BEARER_COLUMNS)
        .outerjoin_from(left, ApiToken, col(ApiToken.token_hash) == bindparam("token_hash"))
        .outerjoin_from(ApiToken, User, col(User.id) == ApiToken.user_id)
        .outerjoin_from(User, Membership, col(Membership.user_id) == User.id)
        .order_by(col(Membership.id))
    )


# Built once, so that only its cached compiled form is looked up per request.
_BEARER = (
    select(*_BEARER_COLUMNS)
    .select_from(ApiToken)
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
    token_hash = hash_of(clear)
    if token_hash is None:
        return None
    return bearer_of_rows(session, session.execute(_BEARER, {"token_hash": token_hash}).all())


def hash_of(clear: str) -> str | None:
    """What a token is looked up by (None for what cannot be a token)."""
    if not clear.startswith(PREFIX) or len(clear) > 100:
        return None
    return _hash(clear)


def bearer_of_rows(session: Session, rows: Sequence[sa.Row[*tuple[Any, ...]]]) -> Bearer | None:
    """The holder of a live token from rows that read it (see :func:`with_bearer`),
    or None."""
    first = rows[0] if rows else None
    if first is None or first.token_id is None:
        return None
    if first.token_revoked_at is not None or not first.token_user_active:
        return None
    now = utcnow()
    if first.token_last_used_at is None or now - first.token_last_used_at > TOUCH_EVERY:
        session.execute(_TOUCH, {"token_id": first.token_id, "now": now})
    units = [row.token_user_unit_id for row in rows if row.token_user_unit_id is not None]
    return Bearer(first.token_user_id, Role(first.token_user_role), units)


def revoke_token(session: Session, user: User, token_id: int) -> bool:
    """Revoke one of ``user``'s tokens; False if there is no such token of theirs."""
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        return False
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.flush()
    return True
