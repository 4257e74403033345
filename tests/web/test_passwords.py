"""Argon2 parameters: strong outside the tests, cheap under the testing config,
and a hash made with either still verifies (it carries its parameters)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher, extract_parameters, profiles
from flask import Flask

from postal_tracker.auth.passwords import (
    CHEAP,
    STRONG,
    check_password,
    hash_password,
    hasher_for,
)
from postal_tracker.config import Settings
from tests.conftest import DEMO_PASSWORD, Browser


@pytest.mark.parametrize("env", ["production", "development"])
def test_outside_the_tests_passwords_get_the_strong_parameters(env: str, tmp_path: Path) -> None:
    hasher = hasher_for(Settings(env=env, instance_path=tmp_path))
    strong = profiles.RFC_9106_LOW_MEMORY
    assert hasher.type is strong.type
    assert hasher.memory_cost >= strong.memory_cost == 64 * 1024  # KiB
    assert hasher.time_cost >= strong.time_cost
    assert hasher.parallelism >= strong.parallelism


def test_the_testing_config_gets_the_cheapest_parameters(tmp_path: Path) -> None:
    hasher = hasher_for(Settings(env="testing", instance_path=tmp_path))
    assert extract_parameters(hasher.hash("x")) == profiles.CHEAPEST


def test_outside_an_app_a_script_hashes_with_the_strong_parameters() -> None:
    assert extract_parameters(hash_password("a script's password")) == profiles.RFC_9106_LOW_MEMORY


@pytest.mark.parametrize("made_by", [STRONG, CHEAP], ids=["strong", "cheap"])
def test_a_hash_made_with_either_verifies_with_both(app: Flask, made_by: PasswordHasher) -> None:
    stored = made_by.hash("the password")
    with app.app_context():  # the testing config: the cheap hasher
        assert check_password(stored, "the password")
        assert not check_password(stored, "another password")
    assert check_password(stored, "the password")  # no app: the strong hasher


def test_a_login_rehashes_a_strong_hash_with_the_parameters_in_force(
    app: Flask, browser: Browser
) -> None:
    engine: sa.Engine = app.extensions["db_engine"]
    query = sa.text('SELECT password_hash FROM "user" WHERE username = :u')
    with engine.begin() as conn:
        demo = conn.execute(query, {"u": "canbo.trangxa"}).scalar_one()
        assert extract_parameters(demo) == profiles.CHEAPEST  # the demo data, under testing
        conn.execute(
            sa.text('UPDATE "user" SET password_hash = :h WHERE username = :u'),
            {"h": STRONG.hash(DEMO_PASSWORD), "u": "canbo.trangxa"},
        )
    assert browser.login("canbo.trangxa").status_code == 302
    with engine.connect() as conn:
        assert extract_parameters(conn.execute(query, {"u": "canbo.trangxa"}).scalar_one()) == (
            profiles.CHEAPEST
        )
