"""Fixtures for the manifest pages: compiled catalogues and demo unit ids."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask

from tests.web.catalogs import compile_catalogs


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogs() -> None:
    compile_catalogs()


@pytest.fixture
def unit_ids(app: Flask) -> dict[str, int]:
    """Demo unit ids by unit code."""
    with app.extensions["db_engine"].connect() as conn:
        return {code: uid for uid, code in conn.execute(sa.text("SELECT id, code FROM unit"))}
