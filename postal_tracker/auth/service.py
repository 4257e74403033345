"""Users, memberships, login throttling, and who acts for which unit."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy import case, or_, update
from sqlalchemy.orm import Session
from sqlmodel import col, func, select

from postal_tracker.auth.models import Membership, Role, User
from postal_tracker.auth.passwords import check_password, hash_password, needs_rehash
from postal_tracker.custody.rules import Actor
from postal_tracker.db import UTCDateTime, utcnow
from postal_tracker.errors import N_, Locked
from postal_tracker.units.models import Unit

MIN_PASSWORD_LENGTH = 10


class AccountLocked(Locked):
    """Too many failed logins for this account; try again later."""


def create_user(
    session: Session,
    *,
    username: str,
    full_name: str,
    role: Role,
    password: str,
    units: list[Unit],
    email: str = "",
) -> User:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"password must have at least {MIN_PASSWORD_LENGTH} characters")
    user = User(
        username=username.strip().lower(),
        full_name=full_name.strip(),
        role=role,
        password_hash=hash_password(password),
        email=email,
    )
    session.add(user)
    session.flush()
    assert user.id is not None
    for unit in units:
        assert unit.id is not None, "units are flushed before members are added"
        session.add(Membership(user_id=user.id, unit_id=unit.id))
    session.flush()
    return user


def find_user(session: Session, username: str) -> User | None:
    return session.scalars(
        select(User).where(func.lower(User.username) == username.strip().lower())
    ).first()


def authenticate(
    session: Session, username: str, password: str, *, max_failures: int, window_seconds: int
) -> User | None:
    """The user if the password is right. Failures are counted per account; after
    ``max_failures`` within the window the account refuses even the right
    password until the window has passed (:class:`AccountLocked`)."""
    user = find_user(session, username)
    if user is not None and not _charge_attempt(session, user, max_failures, window_seconds):
        raise AccountLocked(
            N_(
                "Too many failed attempts. This account is locked; "
                "try again in %(minutes)d minutes."
            ),
            code="account_locked",
            minutes=max(1, window_seconds // 60),
        )
    ok = check_password(user.password_hash if user else None, password)
    if user is None:
        return None
    if not ok:
        return None  # the attempt stays counted
    # The right password: the attempt is not a failure, and earlier ones are forgiven.
    session.execute(
        update(User)
        .where(col(User.id) == user.id)
        .values(failed_logins=0, first_failure_at=None)
        .execution_options(synchronize_session=False)
    )
    session.expire(user, ["failed_logins", "first_failure_at"])
    if not user.active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    session.flush()
    return user


def _charge_attempt(session: Session, user: User, max_failures: int, window_seconds: int) -> bool:
    """Count this attempt as a failure before the password is checked, in one
    conditional UPDATE; False if the account is locked. Checking and counting in
    one statement means that parallel attempts cannot all read the same count
    and get more than ``max_failures`` guesses: on PostgreSQL the row stays
    locked until this attempt's transaction ends, on SQLite the transaction
    began immediately. A right password takes the charge back."""
    now = utcnow()
    cutoff = now - timedelta(seconds=window_seconds)
    since = col(User.first_failure_at)
    fresh = or_(since.is_(None), since < cutoff)  # no failure within the window
    at = sa.literal(now, type_=UTCDateTime())
    charged = session.execute(
        update(User)
        .where(col(User.id) == user.id, or_(fresh, col(User.failed_logins) < max_failures))
        .values(
            failed_logins=case((fresh, 1), else_=col(User.failed_logins) + 1),
            first_failure_at=case((fresh, at), else_=since),
        )
        .execution_options(synchronize_session=False)
    )
    session.expire(user, ["failed_logins", "first_failure_at"])
    return bool(charged.rowcount == 1)  # type: ignore[attr-defined]


def unit_ids_of(session: Session, user: User) -> list[int]:
    return list(
        session.scalars(
            select(Membership.unit_id)
            .where(Membership.user_id == user.id)
            .order_by(col(Membership.id))
        )
    )


def units_of(session: Session, user: User) -> list[Unit]:
    return list(
        session.scalars(
            select(Unit)
            .join(Membership, col(Membership.unit_id) == Unit.id)
            .where(Membership.user_id == user.id)
            .order_by(col(Membership.id))
        )
    )


def actor_for(session: Session, user: User, acting_unit_id: int | None = None) -> Actor:
    """The user as the custody rules see them, acting for ``acting_unit_id``
    (one of their units) or their first unit."""
    assert user.id is not None
    return actor_of(user.id, user.role, unit_ids_of(session, user), acting_unit_id)


def actor_of(
    user_id: int, role: Role, unit_ids: list[int], acting_unit_id: int | None = None
) -> Actor:
    """:func:`actor_for` with the user's unit ids (in membership order) at hand."""
    if acting_unit_id is None or acting_unit_id not in unit_ids:
        acting_unit_id = unit_ids[0] if unit_ids else None
    return Actor(user_id=user_id, role=role, unit_ids=frozenset(unit_ids), unit_id=acting_unit_id)
