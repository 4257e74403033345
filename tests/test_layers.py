"""The pure modules stay pure when imported for real, not only in the import
graph that `lint-imports` reads: the package's __init__ must load nothing."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    "module", ["postal_tracker.s10", "postal_tracker.custody.rules", "postal_tracker.watch.rules"]
)
def test_a_pure_module_loads_neither_flask_nor_the_database(module: str) -> None:
    code = (
        f"import sys, {module}\n"
        "heavy = {'flask', 'sqlalchemy', 'sqlmodel'}\n"
        "print(','.join(sorted({m.split('.')[0] for m in sys.modules} & heavy)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
