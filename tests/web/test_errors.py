"""Error pages: a friendly page (JSON under /api/), never a traceback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient


@pytest.fixture
def failing_app(app: Flask) -> Iterator[Flask]:
    """The demo app with two routes that fail, answering as in production."""

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("secret detail of the failure")

    @app.get("/api/boom")
    def api_boom() -> str:
        raise RuntimeError("secret detail of the failure")

    app.testing = False
    yield app
    app.testing = True


def test_404_is_a_friendly_page(client: FlaskClient) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "Không tìm thấy" in page
    assert "Traceback" not in page


def test_404_under_api_is_json(client: FlaskClient) -> None:
    response = client.get("/api/no/such/thing")
    assert response.status_code == 404
    assert response.is_json
    assert response.get_json()["error"]["code"] == "404"


def test_405_is_a_friendly_page(client: FlaskClient) -> None:
    response = client.get("/logout")
    assert response.status_code == 405
    assert "<html" in response.get_data(as_text=True)


def test_500_is_a_friendly_page_without_details(failing_app: Flask) -> None:
    client = failing_app.test_client()
    response = client.get("/boom")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "<html" in page and "Traceback" not in page
    assert "secret detail" not in page
    assert "Đã có lỗi" in page


def test_500_under_api_is_json_without_details(failing_app: Flask) -> None:
    response = failing_app.test_client().get("/api/boom")
    assert response.status_code == 500
    assert response.is_json
    body = response.get_json()
    assert body["error"]["code"] == "500"
    assert "secret detail" not in response.get_data(as_text=True)


def test_health(client: FlaskClient) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}
