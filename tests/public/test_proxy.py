"""Behind a reverse proxy, rate limits count per client (the proxy's
X-Forwarded-For), but only for the number of hops configured: without a
proxy, a forged header changes nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask

from postal_tracker.app import create_app
from postal_tracker.extensions import limiter


@pytest.fixture
def make_app(app: Flask, tmp_path: Path) -> Iterator[Callable[[int], Flask]]:
    made: list[Flask] = []

    def make(hops: int) -> Flask:
        settings = replace(app.config["SETTINGS"], proxy_hops=hops, instance_path=tmp_path)
        made.append(create_app(settings))
        # CSRF is not the subject here, and its refusal would come before the count.
        made[-1].config["WTF_CSRF_ENABLED"] = False
        with made[-1].app_context():
            limiter.reset()
        return made[-1]

    yield make
    for each in made:
        with each.app_context():
            limiter.reset()
        each.extensions["db_engine"].dispose()


def _lookups(app: Flask, forwarded_for: str, times: int) -> list[int]:
    client = app.test_client()
    headers = {"X-Forwarded-For": forwarded_for}
    return [
        client.post("/track", data={"code": "x"}, headers=headers).status_code for _ in range(times)
    ]


def test_behind_one_proxy_each_client_has_its_own_limit(
    make_app: Callable[[int], Flask],
) -> None:
    proxied = make_app(1)
    assert 429 not in _lookups(proxied, "203.0.113.7", 10)
    assert _lookups(proxied, "203.0.113.7", 1) == [429]
    # Another citizen behind the same proxy is not locked out by the first.
    assert 429 not in _lookups(proxied, "198.51.100.20", 1)


def test_without_a_proxy_a_forged_header_does_not_reset_the_limit(
    make_app: Callable[[int], Flask],
) -> None:
    direct = make_app(0)
    assert 429 not in _lookups(direct, "203.0.113.7", 10)
    assert _lookups(direct, "198.51.100.20", 1) == [429]


def test_the_setting_is_read_from_the_environment() -> None:
    from postal_tracker.config import Settings

    assert Settings.from_env({"POSTAL_TRACKER_PROXY_HOPS": "2"}).proxy_hops == 2
