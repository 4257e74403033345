"""Settings: read from the environment, refused with a clear message when wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from postal_tracker.config import ConfigError, Settings


def test_production_without_a_secret_stops_with_a_clear_message(tmp_path: Path) -> None:
    env = {"POSTAL_TRACKER_ENV": "production", "POSTAL_TRACKER_INSTANCE_PATH": str(tmp_path)}
    with pytest.raises(ConfigError, match="POSTAL_TRACKER_SECRET_KEY is not set"):
        Settings.from_env(env)


def test_production_refuses_a_short_secret(tmp_path: Path) -> None:
    env = {
        "POSTAL_TRACKER_ENV": "production",
        "POSTAL_TRACKER_SECRET_KEY": "short",
        "POSTAL_TRACKER_INSTANCE_PATH": str(tmp_path),
    }
    with pytest.raises(ConfigError, match="at least 32 characters"):
        Settings.from_env(env)


def test_development_makes_a_private_secret_once(tmp_path: Path) -> None:
    env = {"POSTAL_TRACKER_INSTANCE_PATH": str(tmp_path)}
    first = Settings.from_env(env)
    second = Settings.from_env(env)
    assert first.secret_key == second.secret_key and len(first.secret_key) == 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert first.database_url == f"sqlite:///{tmp_path / 'postal_tracker.sqlite3'}"


def test_values_are_typed(tmp_path: Path) -> None:
    s = Settings.from_env(
        {
            "POSTAL_TRACKER_INSTANCE_PATH": str(tmp_path),
            "POSTAL_TRACKER_LOGIN_MAX_FAILURES": "3",
            "POSTAL_TRACKER_SESSION_COOKIE_SECURE": "true",
            "POSTAL_TRACKER_TRACKING_PREFIX": "EB",
        }
    )
    assert s.login_max_failures == 3 and s.session_cookie_secure is True
    assert s.tracking_prefix == "EB"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("LOGIN_MAX_FAILURES", "five", "must be a whole number"),
        ("SESSION_COOKIE_SECURE", "perhaps", "must be true or false"),
        ("ENV", "staging", "must be one of"),
        ("TRACKING_PREFIX", "hc1", "two upper-case letters"),
    ],
)
def test_bad_values_name_the_variable(tmp_path: Path, name: str, value: str, message: str) -> None:
    env = {"POSTAL_TRACKER_INSTANCE_PATH": str(tmp_path), f"POSTAL_TRACKER_{name}": value}
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(env)
