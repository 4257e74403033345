"""The migrations give exactly the models' schema, and each goes down and up."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from sqlmodel import SQLModel

import postal_tracker.models  # noqa: F401
from postal_tracker import migrate
from postal_tracker.db import make_engine


def _url(app: Flask) -> str:
    return str(app.config["SETTINGS"].database_url)


def _diff(url: str) -> list[object]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(ctx, SQLModel.metadata))
    finally:
        engine.dispose()


def test_upgrade_head_matches_the_models(empty_app: Flask) -> None:
    assert _diff(_url(empty_app)) == []


def test_each_migration_goes_down_and_up_again(empty_app: Flask) -> None:
    url = _url(empty_app)
    script = ScriptDirectory.from_config(migrate.alembic_config(url))
    revisions = [r.revision for r in script.walk_revisions("base", "heads")]
    assert revisions, "no migrations found"
    for revision in revisions:  # newest first
        down_to = script.get_revision(revision).down_revision or "base"
        migrate.downgrade(url, str(down_to))
        migrate.upgrade(url, revision)
        migrate.downgrade(url, str(down_to))
    engine = make_engine(url)
    with engine.connect() as conn:
        tables = set(sa.inspect(conn).get_table_names()) - {"alembic_version"}
    engine.dispose()
    assert tables == set()
    migrate.upgrade(url)
    assert _diff(url) == []
