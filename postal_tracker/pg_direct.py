"""Statements run on PostgreSQL's driver connection directly: the scan's hot path.

For the few small statements of a scan, SQLAlchemy's per-execution work (the
compiled-cache lookup, parameter and result processing, ORM loading) costs as
much CPU as PostgreSQL spends running them. Here a Core statement is compiled
once for psycopg, and run on the session's own psycopg connection, inside the
session's transaction, several statements in one round trip (psycopg's
pipeline mode; psycopg sends a transaction's BEGIN in a round trip of its own).
The session still commits or rolls back as for any other request.

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


def run(session: Session, *calls: tuple[Statement, Mapping[str, Any]]) -> list[list[Row]]:
    """Run each statement with its parameters, in this order, in one round trip;
    every row of each. Each statement must return rows."""
    connection = session.connection()
    driver = connection.connection.driver_connection
    assert isinstance(driver, psycopg.Connection)
    cursors: list[psycopg.Cursor[Row]] = []
    current = calls[0]
    try:
        if len(calls) == 1:
            cursors.append(driver.cursor())
            cursors[0].execute(current[0].sql, current[1])
        else:
            with driver.pipeline():
                for current in calls:
                    cursor = driver.cursor()
                    cursor.execute(current[0].sql, current[1])
                    cursors.append(cursor)
        # Every statement run here returns rows (a SELECT, or RETURNING).
        return [cursor.fetchall() for cursor in cursors]
    except psycopg.Error as exc:
        if connection.dialect.is_disconnect(cast(Any, exc), connection.connection, None):
            connection.invalidate(exc)
        raise sa.exc.DBAPIError.instance(
            current[0].sql,
            dict(current[1]),
            exc,
            psycopg.Error,
            connection_invalidated=connection.invalidated,
            dialect=connection.dialect,
        ) from exc
    finally:
        for cursor in cursors:
            cursor.close()
