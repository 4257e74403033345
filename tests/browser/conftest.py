"""A real browser against a real server: Debian's Chromium driven by
Playwright, the app served by werkzeug in a thread on a free local port, on a
fresh copy of the demo database (the ``app`` fixture)."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import ThreadedWSGIServer, make_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # A real browser takes seconds a test: all of them are slow (make test-fast).
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.slow)


def _missing(reason: str) -> None:
    # On CI a missing browser is a broken set-up, not a reason to skip.
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI must install it: see .ci/run)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    try:
        from playwright import sync_api
    except ImportError:
        _missing("Playwright is not installed: pip install playwright")
    executable = CHROMIUM if CHROMIUM.exists() else shutil.which("chromium")
    if not executable:
        _missing("Chromium is not installed: apt-get install -y chromium")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(executable), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The app served on 127.0.0.1 at a free port; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    assert isinstance(server, ThreadedWSGIServer)
    # Closing the server waits for the requests in flight (werkzeug's request
    # threads are daemons, never waited for): one still running after the
    # test would keep a database connection past the engine's disposal.
    server.daemon_threads = False
    server.block_on_close = True
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


@pytest.fixture
def page(chromium: Any, live_server: str) -> Iterator[Any]:
    context = chromium.new_context(base_url=live_server, locale="en-US")
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()
