"""Fixtures for the manifest pages: demo unit ids."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask


@pytest.fixture
def unit_ids(app: Flask) -> dict[str, int]:
    """Demo unit ids by unit code."""
    with app.extensions["db_engine"].connect() as conn:
        return {code: uid for uid, code in conn.execute(sa.text("SELECT id, code FROM unit"))}
