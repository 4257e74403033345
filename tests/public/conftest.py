from __future__ import annotations

import pytest


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogs() -> None:
    """The pages are checked in Vietnamese: compile the catalogues first."""
    from tests.web.catalogs import compile_catalogs

    compile_catalogs()
