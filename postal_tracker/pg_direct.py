"""Statements run on PostgreSQL's driver connection directly: the scan's hot path.

For the few small statements of a scan, SQLAlchemy's per-execution work (the
compiled-cache lookup, parameter and result processing, ORM loading) costs as
much CPU as PostgreSQL spends running them. Here a Core statement is compiled
once for psycopg, and run on the psycopg connection under a session (in its
transaction, which the session commits or rolls back as for any other
request) or under a SQLAlchemy connection (as its mode has it: autocommit for
a statement that is a transaction of its own).

Parameters and rows are the driver's: callers pass what SQLAlchemy's column
types would have made (see :func:`bind`) and convert what they read.
Errors are raised as SQLAlchemy's, and a connection lost on the way is
invalidated in the pool as SQLAlchemy would do.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, cast

import psycopg
import sqlalchemy as sa
from psycopg.types.json import Json
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg
from sqlalchemy.orm import Session

_DIALECT = PGDialect_psycopg()  # type: ignore[no-untyped-call]

Row = tuple[Any, ...]


class Statement:
    """A Core statement compiled once, with psycopg's ``%(name)s`` parameters."""

    def __init__(self, stmt: sa.Executable) -> None:
        self.sql = str(stmt.compile(dialect=_DIALECT))  # type: ignore[attr-defined]


def applies(session: Session) -> bool:
    """Whether ``session`` runs on PostgreSQL (elsewhere, use the Core statements)."""
    return session.get_bind().dialect.name == "postgresql"


_AS_IS = frozenset({int, str, bool, float, type(None)})


def bind(value: Any) -> Any:
    """A parameter as SQLAlchemy's column types here would send it: aware
    datetimes as naive UTC (``UTCDateTime``), enums as their value, dicts and
    lists as JSON."""
    if type(value) in _AS_IS:
        return value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware one is required")
        return value.astimezone(UTC).replace(tzinfo=None)
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, dict | list):
        return Json(value)
    return value


def aware(value: datetime | None) -> datetime | None:
    """A timestamp column read back as ``UTCDateTime`` would: aware UTC."""
    return None if value is None else value.replace(tzinfo=UTC)


def execute(
    bind: Session | sa.Connection, statement: Statement, params: Mapping[str, Any]
) -> list[Row]:
    """Run ``statement`` with ``params`` in the session's transaction (or on
    the connection, as its mode has it); every row (it must return rows)."""
    connection = bind.connection() if isinstance(bind, Session) else bind
    driver = connection.connection.driver_connection
    assert isinstance(driver, psycopg.Connection)
    try:
        with driver.cursor() as cursor:
            cursor.execute(statement.sql, params)
            return cursor.fetchall()
    except psycopg.Error as exc:
        if connection.dialect.is_disconnect(cast(Any, exc), connection.connection, None):
            connection.invalidate(exc)
        raise sa.exc.DBAPIError.instance(
            statement.sql,
            dict(params),
            exc,
            psycopg.Error,
            connection_invalidated=connection.invalidated,
            dialect=connection.dialect,
        ) from exc
