"""Fixtures shared by the delivery tests: the app's settings and the demo routes."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask

from postal_tracker.config import Settings
from postal_tracker.db import transaction
from postal_tracker.delivery.demo_routes import load_demo_routes


@pytest.fixture
def settings(app: Flask) -> Settings:
    s: Settings = app.config["SETTINGS"]
    return s


@pytest.fixture
def routes(engine: sa.Engine) -> None:
    with transaction(engine) as s:
        load_demo_routes(s)
