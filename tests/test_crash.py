"""A short run of scripts/crash_test.py on the database under test: gunicorn
killed with SIGKILL mid-traffic, clients retrying with the same client ids.
`make crash-test` runs the long version on both databases."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from tests.conftest import PG_URL

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "crash_test.py"


@pytest.mark.slow
def test_acknowledged_scans_survive_kill_9() -> None:
    spec = importlib.util.spec_from_file_location("crash_test", SCRIPT)
    assert spec and spec.loader
    crash = importlib.util.module_from_spec(spec)
    sys.modules["crash_test"] = crash  # dataclasses look their module up there
    spec.loader.exec_module(crash)
    result = crash.run(PG_URL or "sqlite", kills=3, seconds=9, clients=8, seed=7)
    assert result["acknowledged"] > 50, result
    assert result["missing"] == 0, result
    assert result["duplicated"] == 0, result
    assert result["answer_mismatch"] == 0, result
    assert result["verify_exit"] == 0, result
