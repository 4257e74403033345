"""The scanner's pages are in Vietnamese first: compile the catalogues."""

from __future__ import annotations

import pytest

from tests.web.catalogs import compile_catalogs


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogs() -> None:
    compile_catalogs()
