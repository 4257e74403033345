"""The database: engine, one session per request, one commit per request.

Services only ``flush``; the request (or the job, or the command) commits once,
so a handover that touches an event and an item is a single transaction. A
response is sent only after its commit, so an acknowledged write is durable.

SQLite runs in WAL mode with ``synchronous=FULL`` and every transaction begins
``IMMEDIATE``: writers queue on the database lock at BEGIN instead of failing
half-way with "database is locked". PostgreSQL keeps ``synchronous_commit=on``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from flask import Flask, Response, current_app, g
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlmodel import SQLModel

# Set before any table is defined (every model module imports this one), so
# every constraint and index gets a stable, predictable name in the migrations.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SQLITE_BUSY_TIMEOUT_MS = 30_000


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        engine = sa.create_engine(
            url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs
        )
        _configure_sqlite(engine)
        return engine
    engine = sa.create_engine(url, connect_args={"options": "-c synchronous_commit=on"}, **kwargs)
    _ping_idle_connections(engine)
    return engine


# A pooled connection idle for this long is pinged before use (it may have been
# closed by the server, a restart or a firewall meanwhile).
PING_AFTER_IDLE_SECONDS = 5.0


def _ping_idle_connections(engine: Engine) -> None:
    """SQLAlchemy's ``pool_pre_ping``, but only for connections that sat idle:
    pinging a connection returned a moment ago costs a round trip per request
    and finds nothing. A connection that fails its ping is replaced; one that
    breaks in use invalidates the pool (SQLAlchemy detects the disconnect), so
    a restarted server fails at most the requests in flight."""

    @sa.event.listens_for(engine, "checkin")
    def on_checkin(_dbapi_conn: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @sa.event.listens_for(engine, "checkout")
    def on_checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise sa.exc.DisconnectionError(str(exc)) from exc


def _configure_sqlite(engine: Engine) -> None:
    @sa.event.listens_for(engine, "connect")
    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module so that we can
        # issue BEGIN IMMEDIATE ourselves.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def on_begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def utcnow() -> datetime:
    return datetime.now(UTC)


# Where a service reads the time (aware), so that a test can pass its own.
Clock = Callable[[], datetime]


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """A timestamp stored as naive UTC and read back as aware UTC on every backend."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware one is required")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def init_app(app: Flask, engine: Engine) -> None:
    app.extensions["db_engine"] = engine
    app.after_request(_commit_after_request)
    app.teardown_appcontext(_close_session)


def engine() -> Engine:
    eng: Engine = current_app.extensions["db_engine"]
    return eng


def session() -> Session:
    """The request's (or app context's) session, opened on first use."""
    if "db_session" not in g:
        g.db_session = Session(engine(), expire_on_commit=False, autoflush=False)
    s: Session = g.db_session
    return s


@contextmanager
def autocommit() -> Iterator[sa.Connection]:
    """A connection in the driver's autocommit mode, where each statement is
    its own transaction, committed when it returns (SQLAlchemy restores the
    mode when the connection goes back to the pool at the end)."""
    with engine().connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        yield connection


def keep_writes_despite_error() -> None:
    """Commit this request's writes even though it answers 4xx (e.g. a 409 that
    records the conflicting scan as evidence)."""
    g.db_keep_writes = True


def _commit_after_request(response: Response) -> Response:
    s: Session | None = g.get("db_session")
    if s is None or not s.in_transaction():
        return response
    if response.status_code < 400 or g.get("db_keep_writes"):
        s.commit()
    else:
        s.rollback()
    return response


def _close_session(exc: BaseException | None) -> None:
    s: Session | None = g.pop("db_session", None)
    if s is not None:
        s.close()  # rolls back anything not committed


@contextmanager
def undone_on_error() -> Iterator[Session]:
    """The request's session, with what the block writes rolled back if it
    raises. The page that answers a refusal then neither commits half of the
    work (a redirect is a success to the commit after the request) nor reads
    it back (the form shown again, read afresh)."""
    s = session()
    try:
        yield s
    except BaseException:
        s.rollback()
        raise


@contextmanager
def transaction(eng: Engine) -> Iterator[Session]:
    """One unit of work outside a request (commands, jobs): commit or roll back."""
    with Session(eng, expire_on_commit=False, autoflush=False) as s:
        try:
            yield s
            s.commit()
        except BaseException:
            s.rollback()
            raise


def enum_type(enum_cls: type[StrEnum], length: int = 32) -> sa.Enum:
    """A string column that reads back as ``enum_cls`` members: plain VARCHAR on
    every backend, so adding a member needs no type migration."""
    return sa.Enum(
        enum_cls,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )
