"""Statements run on PostgreSQL's driver connection: in the session's
transaction or on their own, errors as SQLAlchemy raises them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from psycopg.types.json import Json
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from postal_tracker import pg_direct
from postal_tracker.custody.rules import Phase

_TABLE = sa.table("pg_direct_probe", sa.column("id"), sa.column("note"))
_INSERT = pg_direct.Statement(
    sa.insert(_TABLE)
    .values(id=sa.bindparam("id"), note=sa.bindparam("note"))
    .returning(_TABLE.c.id)
)
_COUNT = pg_direct.Statement(sa.select(sa.func.count()).select_from(_TABLE))
_BACKEND = pg_direct.Statement(sa.select(sa.func.pg_backend_pid()))


@pytest.fixture
def probe(pg_only: None, engine: sa.Engine) -> sa.Engine:
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE pg_direct_probe (id integer PRIMARY KEY, note text)")
    return engine


def test_parameters_are_sent_as_the_column_types_would_send_them() -> None:
    vn = timezone(timedelta(hours=7))
    assert pg_direct.bind(datetime(2026, 11, 27, 9, 30, tzinfo=vn)) == datetime(2026, 11, 27, 2, 30)
    assert pg_direct.bind(Phase.IN_TRANSIT) == "in_transit"
    assert isinstance(pg_direct.bind({"note": "Đỗ Thị Thu Nga"}), Json)
    assert pg_direct.bind(7) == 7 and pg_direct.bind(None) is None
    with pytest.raises(ValueError, match="naive"):
        pg_direct.bind(datetime(2026, 11, 27, 9, 30))
    assert pg_direct.aware(datetime(2026, 11, 27, 2, 30)) == datetime(
        2026, 11, 27, 2, 30, tzinfo=UTC
    )
    assert pg_direct.aware(None) is None


def test_statements_run_in_the_sessions_transaction(probe: sa.Engine) -> None:
    with Session(probe) as session:
        assert pg_direct.execute(session, _INSERT, {"id": 1, "note": "a"}) == [(1,)]
        assert pg_direct.execute(session, _COUNT, {}) == [(1,)]
        session.rollback()  # the session's rollback undoes them
        assert pg_direct.execute(session, _COUNT, {}) == [(0,)]


def test_on_an_autocommit_connection_a_statement_commits_itself(probe: sa.Engine) -> None:
    with probe.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        pg_direct.execute(connection, _INSERT, {"id": 1, "note": "a"})
        with Session(probe) as other:
            assert pg_direct.execute(other, _COUNT, {}) == [(1,)]
    with probe.connect() as connection:  # the pool gave it back in its own mode
        assert not connection.connection.driver_connection.autocommit  # type: ignore[union-attr]


def test_a_unique_violation_is_sqlalchemys_integrity_error(probe: sa.Engine) -> None:
    with Session(probe) as session:
        pg_direct.execute(session, _INSERT, {"id": 1, "note": "a"})
        with pytest.raises(sa.exc.IntegrityError):
            pg_direct.execute(session, _INSERT, {"id": 1, "note": "b"})
        session.rollback()  # and the session is usable again
        assert pg_direct.execute(session, _COUNT, {}) == [(0,)]


def test_a_connection_lost_on_the_way_is_invalidated(probe: sa.Engine) -> None:
    with Session(probe) as session:
        ((pid,),) = pg_direct.execute(session, _BACKEND, {})
        admin = sa.create_engine(probe.url, poolclass=NullPool)
        with admin.connect() as conn:
            conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        admin.dispose()
        with pytest.raises(sa.exc.DBAPIError) as raised:
            pg_direct.execute(session, _COUNT, {})
        assert raised.value.connection_invalidated
    with Session(probe) as session:  # the pool hands out a new connection
        assert pg_direct.execute(session, _BACKEND, {})[0][0] != pid
