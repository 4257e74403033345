from __future__ import annotations

import pytest

# Chromium and the live server, shared with the other browser tests.
from tests.browser.conftest import chromium, live_server, page  # noqa: F401


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogs() -> None:
    """The pages are checked in Vietnamese: compile the catalogues first."""
    from tests.web.catalogs import compile_catalogs

    compile_catalogs()
