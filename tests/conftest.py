"""Fixtures: a fresh, migrated database and app per test, on SQLite by default
and on PostgreSQL when POSTAL_TRACKER_TEST_DATABASE_URL names a server.

A test that asks for ``pg_only`` gets its app on PostgreSQL whatever the suite
runs on: the server the variable names, or else the one at ``PG_DEFAULT`` when
it answers. So the PostgreSQL-only paths run on a developer's machine too; with
no server they are skipped, and the skip says why.

Each run migrates two template databases once (empty, and with the demo data);
every test gets its own copy (a file copy on SQLite, ``CREATE DATABASE ...
TEMPLATE`` on PostgreSQL), so tests may commit, run concurrently against the
database, and try to tamper with it, without touching each other.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from postal_tracker import migrate
from postal_tracker.app import create_app
from postal_tracker.config import Settings
from postal_tracker.db import transaction
from tests.web.catalogs import compile_catalogs

PG_URL = os.environ.get("POSTAL_TRACKER_TEST_DATABASE_URL", "")
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEMO_PASSWORD = "demo-pass-2026"


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogs() -> None:
    """Pages are checked in Vietnamese, from any folder: compile the catalogues first."""
    compile_catalogs()


def pytest_report_header(config: pytest.Config) -> str:
    if PG_URL:
        return f"database: PostgreSQL {_safe(PG_URL)}"
    reason = _unreachable(PG_DEFAULT)
    return f"database: SQLite; PostgreSQL-only tests {reason or 'on ' + PG_DEFAULT}"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # ``-m postgres`` selects the PostgreSQL-only tests.
    for item in items:
        if "pg_only" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)


def _unreachable(url: str) -> str:
    """Why no PostgreSQL answers at ``url``; empty when one does."""
    engine = sa.create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": 2})
    try:
        with engine.connect():
            return ""
    except sa.exc.DBAPIError as e:
        cause = str(e.orig).strip().splitlines()[0] if e.orig else type(e).__name__
        return (
            f"skipped: they need PostgreSQL, and none answers at {_safe(url)} ({cause}); "
            "start one there, or name one in POSTAL_TRACKER_TEST_DATABASE_URL"
        )
    finally:
        engine.dispose()


def _safe(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _settings(tmp: Path, url: str) -> Settings:
    return Settings(
        env="testing",
        instance_path=tmp,
        database_url=url,
        secret_key="t" * 64,
        base_url="http://localhost",
    ).resolved()


class _Databases:
    """Hands out copies of the migrated templates."""

    def __init__(self, root: Path, pg_url: str) -> None:
        self.root = root
        self.pg_url = pg_url  # empty: SQLite
        self.pg = bool(pg_url)
        self.run = uuid.uuid4().hex[:8]
        self.templates: dict[str, str] = {}
        self.made: list[str] = []

    # -- PostgreSQL ------------------------------------------------------
    def _admin(self) -> sa.Engine:
        # NullPool: each admin connection is closed as soon as it is returned.
        return sa.create_engine(self.pg_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)

    def _pg_url(self, name: str) -> str:
        return make_url(self.pg_url).set(database=name).render_as_string(hide_password=False)

    def template(self, kind: str) -> str:
        if kind in self.templates:
            return self.templates[kind]
        if self.pg:
            name = f"pt_tpl_{kind}_{self.run}"
            with self._admin().connect() as conn:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
            self.made.append(name)
            url = self._pg_url(name)
        else:
            url = f"sqlite:///{self.root / f'template-{kind}.sqlite3'}"
        migrate.upgrade(url)
        if kind == "demo":
            from postal_tracker import demo

            # In the app's context, so that passwords are hashed as the
            # testing config says (cheaply).
            app = create_app(_settings(self.root, url))
            engine = app.extensions["db_engine"]
            with app.app_context(), transaction(engine) as session:
                demo.load(session, app.config["SETTINGS"])
            engine.dispose()
        if not self.pg:
            # Fold the WAL into the main file so that copying one file copies all.
            con = sqlite3.connect(make_url(url).database or "")
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            con.close()
        self.templates[kind] = url
        return url

    def copy(self, kind: str, dest: Path) -> str:
        src = self.template(kind)
        if self.pg:
            name = f"pt_{self.run}_{uuid.uuid4().hex[:10]}"
            template = make_url(src).database
            with self._admin().connect() as conn:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
            self.made.append(name)
            return self._pg_url(name)
        path = dest / "db.sqlite3"
        shutil.copyfile(make_url(src).database or "", path)
        return f"sqlite:///{path}"

    def drop(self, url: str) -> None:
        if not self.pg:
            return
        name = make_url(url).database
        with self._admin().connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def drop_all(self) -> None:
        if not self.pg:
            return
        with self._admin().connect() as conn:
            for name in self.made:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _databases_on(tmp_path_factory: pytest.TempPathFactory, pg_url: str) -> Iterator[_Databases]:
    dbs = _Databases(tmp_path_factory.mktemp("templates"), pg_url)
    yield dbs
    dbs.drop_all()


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Databases]:
    """The databases the suite runs on."""
    yield from _databases_on(tmp_path_factory, PG_URL)


@pytest.fixture(scope="session")
def pg_databases(
    databases: _Databases, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[_Databases]:
    """PostgreSQL databases: the suite's own, or else the server at PG_DEFAULT."""
    if databases.pg:
        yield databases
        return
    reason = _unreachable(PG_DEFAULT)
    if reason:
        pytest.skip(reason)
    yield from _databases_on(tmp_path_factory, PG_DEFAULT)


@pytest.fixture
def pg_only(pg_databases: _Databases) -> None:
    """The test needs PostgreSQL: its app runs there (see the module's docstring)."""


def _databases_for(request: pytest.FixtureRequest, databases: _Databases) -> _Databases:
    if "pg_only" in request.fixturenames:
        pg: _Databases = request.getfixturevalue("pg_databases")
        return pg
    return databases


def _make_app(databases: _Databases, kind: str, tmp_path: Path) -> Iterator[Flask]:
    url = databases.copy(kind, tmp_path)
    keys = databases.root / "keys"
    if keys.exists():
        # The keys that signed the template's demo slips.
        shutil.copytree(keys, tmp_path / "keys")
    app = create_app(_settings(tmp_path, url))
    yield app
    app.extensions["db_engine"].dispose()
    databases.drop(url)


@pytest.fixture
def app(request: pytest.FixtureRequest, databases: _Databases, tmp_path: Path) -> Iterator[Flask]:
    """An app on a fresh copy of the demo database."""
    yield from _make_app(_databases_for(request, databases), "demo", tmp_path)


@pytest.fixture
def empty_app(
    request: pytest.FixtureRequest, databases: _Databases, tmp_path: Path
) -> Iterator[Flask]:
    """An app on a freshly migrated, empty database."""
    yield from _make_app(_databases_for(request, databases), "empty", tmp_path)


@pytest.fixture
def engine(app: Flask) -> sa.Engine:
    eng: sa.Engine = app.extensions["db_engine"]
    return eng


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    page = client.get(path, follow_redirects=True).get_data(as_text=True)
    match = _TOKEN.search(page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


@dataclass
class Browser:
    """A test client that logs in and posts forms with the CSRF token, like a person."""

    client: FlaskClient

    def login(self, username: str, password: str = DEMO_PASSWORD) -> Any:
        token = csrf_token(self.client)
        return self.client.post(
            "/login", data={"csrf_token": token, "username": username, "password": password}
        )

    def post(self, path: str, data: dict[str, Any], **kwargs: Any) -> Any:
        token = csrf_token(self.client, "/login" if "csrf" not in kwargs else kwargs.pop("csrf"))
        return self.client.post(path, data={"csrf_token": token, **data}, **kwargs)


@pytest.fixture
def browser(client: FlaskClient) -> Browser:
    return Browser(client)


@pytest.fixture
def as_user(app: Flask) -> Callable[[str], Browser]:
    """A logged-in browser per demo username; several can be open at once."""

    def make(username: str) -> Browser:
        b = Browser(app.test_client())
        response = b.login(username)
        assert response.status_code == 302, response.get_data(as_text=True)
        return b

    return make
