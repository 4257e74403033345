from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from typing import Any

import pytest
from flask import Flask

from postal_tracker.config import Settings
from tests.notify.servers import (
    SMS_PASSWORD,
    SMS_USER,
    SMTP_PASSWORD,
    SMTP_USER,
    Gateway,
    Mailbox,
    sms_gateway,
    smtp_server,
)

SENDER = "Bưu điện Thái Nguyên <thongbao@buudien.example.vn>"


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    yield from smtp_server()


@pytest.fixture
def gateways() -> Iterator[Callable[..., Gateway]]:
    """Starts SMS gateways on demand: ``gateways(fail_first=2)``."""
    with ExitStack() as stack:

        def start(**kwargs: Any) -> Gateway:
            return stack.enter_context(contextmanager(sms_gateway)(Gateway(**kwargs)))

        yield start


@pytest.fixture
def gateway(gateways: Callable[..., Gateway]) -> Gateway:
    return gateways()


def relay_settings(
    app: Flask,
    *,
    smtp_port: int = 0,
    gateway: Gateway | None = None,
    channels: str = "",
    **changes: Any,
) -> Settings:
    """The app's settings with the channels pointed at the test servers; no
    backoff unless asked for, so a retry is due at once."""
    base: Settings = app.config["SETTINGS"]
    names = [n for n, on in (("smtp", smtp_port), ("sms", gateway)) if on]
    values: dict[str, Any] = {
        "notify_channels": channels or ",".join(names) or "file",
        "notify_retry_base_seconds": 0,
        "notify_timeout_seconds": 5,
    }
    if smtp_port:
        values |= {
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp_port,
            "smtp_starttls": False,
            "smtp_username": SMTP_USER,
            "smtp_password": SMTP_PASSWORD,
            "smtp_sender": SENDER,
        }
    if gateway is not None:
        values |= {
            "sms_url": gateway.url,
            "sms_username": SMS_USER,
            "sms_password": SMS_PASSWORD,
            "sms_sender": "BUUDIEN",
        }
    return replace(base, **(values | changes))
