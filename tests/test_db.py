"""The engine: pooled PostgreSQL connections are pinged only after sitting idle."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.pool import NullPool

from postal_tracker import db


def _backend_pid(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())


def _pings(engine: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    pings: list[int] = []
    original = engine.dialect.do_ping

    def counting(dbapi_conn: DBAPIConnection) -> bool:
        pings.append(1)
        return original(dbapi_conn)

    monkeypatch.setattr(engine.dialect, "do_ping", counting)
    return pings


def test_a_connection_used_a_moment_ago_is_not_pinged(
    pg_only: None, engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    pings = _pings(engine, monkeypatch)
    first = _backend_pid(engine)
    assert _backend_pid(engine) == first  # the same pooled connection
    assert pings == []


def test_an_idle_connection_the_server_closed_is_replaced(
    pg_only: None, engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    pings = _pings(engine, monkeypatch)
    first = _backend_pid(engine)
    admin = sa.create_engine(engine.url, poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
    admin.dispose()
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)
    # The ping finds the connection dead, the pool opens a new one: no error.
    assert _backend_pid(engine) != first
    assert pings
