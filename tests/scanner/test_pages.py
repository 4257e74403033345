"""The scanner page, its installable-app files, the handover suggestions."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from tests.conftest import Browser


def _json_script(html: str, element_id: str) -> object:
    pattern = rf'<script type="application/json" id="{element_id}">(.*?)</script>'
    match = re.search(pattern, html, re.S)
    assert match, element_id
    return json.loads(match.group(1))


def test_the_scanner_page_needs_a_login(client: FlaskClient) -> None:
    response = client.get("/scanner/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_the_scanner_page_carries_who_scans_and_a_csrf_token(
    as_user: Callable[[str], Browser],
) -> None:
    page = as_user("buuta.donghy").client.get("/scanner/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    me = _json_script(html, "scanner-me")
    assert isinstance(me, dict)
    assert me["username"] == "buuta.donghy" and me["role"] == "postal_worker"
    assert len(me["unit_ids"]) == 2  # Đồng Hỷ post office and Hóa Trung's post point
    assert re.search(r'data-csrf="[^"]{20,}"', html)
    assert 'id="scan-input"' in html and "autofocus" in html
    assert 'id="unsent-count"' in html
    strings = _json_script(html, "scanner-strings")
    assert isinstance(strings, dict)
    # Vietnamese first: the messages the script shows come translated.
    assert strings["saved"] == "Đã lưu trên điện thoại này"


@pytest.mark.parametrize(
    ("username", "handles", "in_transit", "result_ready"),
    [
        ("chuyenvien.sct", True, "delivered_to_agency", "handover_confirmed"),
        ("buuta.donghy", True, "handover_confirmed", "result_collected"),
        ("giamsat", False, "handover_confirmed", "handover_confirmed"),
    ],
)
def test_the_scanner_page_is_served_what_the_rules_say_for_its_user(
    as_user: Callable[[str], Browser],
    username: str,
    handles: bool,
    in_transit: str,
    result_ready: str,
) -> None:
    html = as_user(username).client.get("/scanner/").get_data(as_text=True)
    rules = _json_script(html, "scanner-rules")
    assert isinstance(rules, dict)
    assert rules["handles"] is handles and rules["may_report"] is True
    assert rules["terminal"] == ["delivered", "returned"]
    assert rules["receipt_kinds"]["in_transit"] == in_transit
    assert rules["receipt_kinds"]["result_ready"] == result_ready


def test_the_service_worker_covers_the_scanner(client: FlaskClient) -> None:
    response = client.get("/scanner/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/scanner/"
    assert "no-cache" in response.headers["Cache-Control"]
    body = response.get_data(as_text=True)
    assert "/api/" not in body.replace("API calls", "")  # never lists the API for caching


def test_the_manifest_makes_an_installable_app(client: FlaskClient) -> None:
    response = client.get("/scanner/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    manifest = response.get_json()
    assert manifest["start_url"] == "/scanner/" and manifest["scope"] == "/scanner/"
    assert manifest["display"] == "standalone"
    icon = manifest["icons"][0]
    with client.get(icon["src"]) as svg:
        assert svg.status_code == 200 and b"<svg" in svg.data


def test_parties_lists_offices_and_people_not_areas(as_user: Callable[[str], Browser]) -> None:
    data = as_user("buuta.vonhai").client.get("/scanner/parties").get_json()
    codes = {u["code"] for u in data["units"]}
    assert {"BD-TINH", "SNV", "MC-TRANGXA"} <= codes
    assert "19" not in codes and "H-VONHAI" not in codes  # areas hold nothing
    usernames = {p["username"] for p in data["people"]}
    assert "gdv.tinh" in usernames
    assert "quantri" not in usernames and "giamsat" not in usernames  # they carry nothing


def test_parties_need_a_login(client: FlaskClient) -> None:
    assert client.get("/scanner/parties").status_code == 302


def test_me_names_the_sessions_user(as_user: Callable[[str], Browser], client: FlaskClient) -> None:
    a = as_user("buuta.vonhai").client.get("/scanner/me").get_json()
    b = as_user("gdv.tinh").client.get("/scanner/me").get_json()
    assert isinstance(a["id"], int) and a["id"] != b["id"]
    assert client.get("/scanner/me").status_code == 302  # no session, no answer
