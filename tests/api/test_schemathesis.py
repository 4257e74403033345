"""Property-based fuzzing of the JSON API from its own OpenAPI document:
whatever schemathesis sends, the server never answers with a 5xx.

The operations are driven with Hypothesis directly (schemathesis's pytest
plugin does not work with this pytest version)."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok


@pytest.mark.slow
def test_no_server_errors(app: Flask) -> None:
    r = app.test_client().post(
        "/api/v1/tokens", json={"username": "buuta.vonhai", "password": "demo-pass-2026"}
    )
    assert r.status_code == 201
    headers = {"Authorization": f"Bearer {r.get_json()['token']}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result.err()
        operations.append(result.ok())
    assert len(operations) >= 5
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=15,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case: schemathesis.Case[Any]) -> None:
            case.call_and_validate(headers=headers, checks=[not_a_server_error])

        fuzz()
