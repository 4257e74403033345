"""The JSON API: tokens, scans (idempotent, conflicts), scope, holdings, errors."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import func, select

from postal_tracker import db
from postal_tracker.auth.roles import Role
from postal_tracker.custody.models import CustodyEvent, Item
from postal_tracker.db import transaction

from ..custody.helpers import add_user, new_item

VN = ZoneInfo("Asia/Ho_Chi_Minh")
PASSWORD = "demo-pass-2026"


def token_for(client: FlaskClient, username: str, password: str = PASSWORD) -> str:
    r = client.post(
        "/api/v1/tokens",
        json={"username": username, "password": password, "device_name": "test phone"},
    )
    assert r.status_code == 201, r.get_json()
    return str(r.get_json()["token"])


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def scan_body(code: str, kind: str, **extra: Any) -> dict[str, Any]:
    return {
        "client_id": str(uuid.uuid4()),
        "tracking_code": code,
        "kind": kind,
        "device_time": datetime.now(VN).isoformat(),
        **extra,
    }


@pytest.fixture
def item_code(app: Flask) -> str:
    with transaction(app.extensions["db_engine"]) as s:
        return new_item(s).tracking_code


def test_token_lifecycle(client: FlaskClient) -> None:
    token = token_for(client, "buuta.vonhai")
    assert client.get("/api/v1/holdings", headers=auth(token)).status_code == 200
    token_id = client.post(
        "/api/v1/tokens", json={"username": "buuta.vonhai", "password": PASSWORD}
    ).get_json()["id"]
    other = client.post("/api/v1/tokens", json={"username": "buuta.vonhai", "password": PASSWORD})
    other_token = other.get_json()["token"]
    assert client.delete(f"/api/v1/tokens/{token_id}", headers=auth(other_token)).status_code == 204
    assert client.get("/api/v1/holdings", headers=auth(token)).status_code == 200
    revoked = client.delete(f"/api/v1/tokens/{other.get_json()['id']}", headers=auth(other_token))
    assert revoked.status_code == 204
    after = client.get("/api/v1/holdings", headers=auth(other_token))
    assert after.status_code == 401 and after.get_json()["error"]["code"] == "unauthorized"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"username": "buuta.vonhai", "password": "wrong"}, 401, "bad_credentials"),
        ({"username": "nobody", "password": "wrong"}, 401, "bad_credentials"),
        ({"username": "buuta.vonhai"}, 422, "invalid"),
        ({"username": "buuta.vonhai", "password": PASSWORD, "admin": True}, 422, "invalid"),
        ([1, 2], 400, "bad_json"),
    ],
)
def test_token_bad_input(client: FlaskClient, body: Any, status: int, code: str) -> None:
    r = client.post("/api/v1/tokens", json=body)
    assert r.status_code == status
    assert r.get_json()["error"]["code"] == code


def test_no_credentials(client: FlaskClient) -> None:
    r = client.get("/api/v1/holdings")
    assert r.status_code == 401 and "token" in r.get_json()["error"]["message"]
    r = client.get("/api/v1/holdings", headers=auth("pt_forged"))
    assert r.status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        {"tracking_code": "not a code"},  # invalid: a caller may not learn why
        {"unit": "extra"},
        "valid",
        "offer to an unknown office",  # nor whether an office exists
    ],
)
@pytest.mark.parametrize("credential", ["none", "forged", "revoked", "inactive user"])
def test_a_scan_without_a_live_token_hears_401_first(
    app: Flask, client: FlaskClient, item_code: str, body: Any, credential: str
) -> None:
    if body == "valid":
        body = scan_body(item_code, "arrived")
    elif body == "offer to an unknown office":
        body = scan_body(item_code, "handover_offered", receiver={"unit_code": "NO-SUCH"})
    headers = {}
    if credential == "forged":
        headers = auth("pt_" + "x" * 43)
    elif credential == "revoked":
        headers = auth(token_for(client, "canbo.trangxa"))
        with transaction(app.extensions["db_engine"]) as s:
            s.execute(sa.text("UPDATE api_token SET revoked_at = CURRENT_TIMESTAMP"))
    elif credential == "inactive user":
        headers = auth(token_for(client, "canbo.trangxa"))
        with transaction(app.extensions["db_engine"]) as s:
            s.execute(
                sa.text("UPDATE \"user\" SET active = false WHERE username = 'canbo.trangxa'")
            )
    r = client.post("/api/v1/scans", json=body, headers=headers)
    assert r.status_code == 401, r.get_json()
    assert r.get_json()["error"]["code"] == "unauthorized"
    # Nothing was recorded, and the item is free for the next scan.
    with transaction(app.extensions["db_engine"]) as s:
        item = s.scalars(select(Item).where(Item.tracking_code == item_code)).one()
        assert item.event_count == 1
    officer = token_for(client, "canbo.trangxa") if credential != "inactive user" else None
    if officer:
        arrived = client.post(
            "/api/v1/scans", json=scan_body(item_code, "arrived"), headers=auth(officer)
        )
        assert arrived.status_code == 201, arrived.get_json()


def test_a_live_token_hears_what_is_wrong_with_the_body(
    client: FlaskClient, item_code: str
) -> None:
    token = token_for(client, "canbo.trangxa")
    r = client.post("/api/v1/scans", json={"tracking_code": "x"}, headers=auth(token))
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "invalid"
    offer = scan_body(item_code, "handover_offered", receiver={"unit_code": "NO-SUCH"})
    r = client.post("/api/v1/scans", json=offer, headers=auth(token))
    assert r.status_code == 422 and "receiver.unit_code" in r.get_json()["error"]["fields"]


def test_handover_by_scans_and_idempotent_retry(client: FlaskClient, item_code: str) -> None:
    officer = token_for(client, "canbo.trangxa")
    worker = token_for(client, "buuta.vonhai")
    offer = scan_body(item_code, "handover_offered", receiver={"unit_code": "BD-VONHAI"})
    first = client.post("/api/v1/scans", json=offer, headers=auth(officer))
    assert first.status_code == 201, first.get_json()
    retry = client.post("/api/v1/scans", json=offer, headers=auth(officer))
    assert retry.status_code == 200 and retry.headers["Idempotent-Replay"] == "true"
    assert retry.get_json() == first.get_json()
    changed = client.post("/api/v1/scans", json={**offer, "note": "other"}, headers=auth(officer))
    assert changed.status_code == 422 and changed.get_json()["error"]["code"] == "client_id_reused"
    # The receiver sees it offered and confirms it.
    offered = client.get("/api/v1/holdings", headers=auth(worker)).get_json()["offered"]
    assert [i["tracking_code"] for i in offered] == [item_code]
    confirm = scan_body(item_code, "handover_confirmed", follows=offered[0]["offer_event_id"])
    done = client.post("/api/v1/scans", json=confirm, headers=auth(worker))
    assert done.status_code == 201, done.get_json()
    held = client.get("/api/v1/holdings", headers=auth(worker)).get_json()["held"]
    assert item_code in [i["tracking_code"] for i in held]
    # A retry of the confirmation after custody moved still gets its first answer.
    again = client.post("/api/v1/scans", json=confirm, headers=auth(worker))
    assert again.status_code == 200 and again.get_json() == done.get_json()
    timeline = client.get(f"/api/v1/items/{item_code}", headers=auth(worker)).get_json()
    assert [e["kind"] for e in timeline["events"]] == [
        "accepted",
        "handover_offered",
        "handover_confirmed",
    ]


def test_fifty_identical_concurrent_scans_make_one_event(app: Flask, item_code: str) -> None:
    token = token_for(app.test_client(), "canbo.trangxa")
    body = scan_body(item_code, "departed", geo={"lat": 21.59, "lon": 105.85, "accuracy_m": 12})
    barrier = threading.Barrier(50)

    def send(_: int) -> tuple[int, Any]:
        client = app.test_client()
        barrier.wait()
        r = client.post("/api/v1/scans", json=body, headers=auth(token))
        return r.status_code, r.get_json()

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(send, range(50)))
    assert sorted({s for s, _ in results}) == [200, 201]
    assert sum(s == 201 for s, _ in results) == 1
    assert all(b["event"] == results[0][1]["event"] for _, b in results)
    with app.app_context():
        s = db.session()
        n = s.scalar(
            select(func.count())
            .select_from(CustodyEvent)
            .where(CustodyEvent.client_id == body["client_id"])
        )
        assert n == 1
        event = s.scalars(
            select(CustodyEvent).where(CustodyEvent.client_id == body["client_id"])
        ).one()
        assert event.data["geo"] == {"lat": 21.59, "lon": 105.85, "accuracy_m": 12}


def test_two_receivers_one_wins_the_other_gets_409(app: Flask, item_code: str) -> None:
    with transaction(app.extensions["db_engine"]) as s:
        add_user(s, "buuta.vonhai2", Role.POSTAL_WORKER, "BD-VONHAI")
    c = app.test_client()
    officer = token_for(c, "canbo.trangxa")
    r = c.post(
        "/api/v1/scans",
        json=scan_body(item_code, "handover_offered", receiver={"unit_code": "BD-VONHAI"}),
        headers=auth(officer),
    )
    offer_id = r.get_json()["event"]["id"]
    tokens = [token_for(c, "buuta.vonhai"), token_for(c, "buuta.vonhai2", "x" * 12)]
    barrier = threading.Barrier(2)

    def confirm(i: int) -> tuple[int, Any]:
        client = app.test_client()
        barrier.wait()
        r = client.post(
            "/api/v1/scans",
            headers=auth(tokens[i]),
            json=scan_body(item_code, "handover_confirmed", follows=offer_id),
        )
        return r.status_code, r.get_json()

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = sorted(pool.map(confirm, range(2)), key=lambda x: x[0])
    assert [s for s, _ in results] == [201, 409]
    conflict = results[1][1]
    assert conflict["error"]["code"] == "conflict"
    assert (
        conflict["error"]["current_custodian"]["user_id"]
        == results[0][1]["item"]["custodian_user_id"]
    )
    with app.app_context():
        item = db.session().scalars(select(Item).where(Item.tracking_code == item_code)).one()
        assert item.disputed and item.custodian_user_id is not None


def test_out_of_scope_is_404_like_missing(client: FlaskClient, item_code: str) -> None:
    stranger = token_for(client, "canbo.trungvuong")
    hidden = client.get(f"/api/v1/items/{item_code}", headers=auth(stranger))
    missing = client.get("/api/v1/items/HC999999990VN", headers=auth(stranger))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.get_json() == missing.get_json()
    scan = client.post(
        "/api/v1/scans", json=scan_body(item_code, "departed"), headers=auth(stranger)
    )
    assert scan.status_code == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"tracking_code": "HC000000000VN"}, "tracking_code"),
        ({"tracking_code": "HC12345678"}, "tracking_code"),
        ({"kind": "accepted"}, "kind"),
        ({"kind": "teleported"}, "kind"),
        ({"device_time": "2026-11-27T08:00:00"}, "device_time"),
        ({"device_time": "yesterday"}, "device_time"),
        ({"client_id": "short"}, "client_id"),
        ({"client_id": "has spaces in it"}, "client_id"),
        ({"geo": {"lat": 91, "lon": 0}}, "geo.lat"),
        ({"receiver": {"unit_code": "NOPE"}}, "receiver.unit_code"),
        ({"receiver": {"username": "ghost"}}, "receiver.username"),
        ({"incident": {"kind": "damaged_seal", "missing_pages": 0}}, "incident.missing_pages"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_scan_bad_input_names_the_field(
    client: FlaskClient, item_code: str, change: dict[str, Any], field: str
) -> None:
    token = token_for(client, "canbo.trangxa")
    body = {**scan_body(item_code, "handover_offered"), **change}
    r = client.post("/api/v1/scans", json=body, headers=auth(token))
    assert r.status_code == 422, r.get_json()
    assert field in r.get_json()["error"]["fields"], r.get_json()


def test_rule_refusal_is_a_clear_422(client: FlaskClient, item_code: str) -> None:
    worker = token_for(client, "buuta.vonhai")
    officer = token_for(client, "canbo.trangxa")
    r = client.post(
        "/api/v1/scans",
        json=scan_body(item_code, "handover_confirmed", follows=1),
        headers=auth(officer),
    )
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "not_receiver"
    assert (
        client.post(
            "/api/v1/scans", json=scan_body(item_code, "departed"), headers=auth(worker)
        ).status_code
        == 404
    )


def test_session_users_need_the_csrf_header(app: Flask, item_code: str) -> None:
    from tests.conftest import Browser, csrf_token

    b = Browser(app.test_client())
    b.login("canbo.trangxa")
    body = scan_body(item_code, "departed")
    refused = b.client.post("/api/v1/scans", json=body)
    assert refused.status_code == 400
    ok = b.client.post(
        "/api/v1/scans", json=body, headers={"X-CSRFToken": csrf_token(b.client, "/home")}
    )
    assert ok.status_code == 201


def test_openapi_document(client: FlaskClient) -> None:
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    assert {"/api/v1/scans", "/api/v1/tokens", "/api/v1/holdings"} <= set(doc["paths"])
    assert "ScanRequest" in doc["components"]["schemas"]


def test_a_receiver_whose_offer_was_replaced_gets_409_not_404(app: Flask, item_code: str) -> None:
    c = app.test_client()
    officer, worker = token_for(c, "canbo.trangxa"), token_for(c, "buuta.vonhai")
    first = c.post(
        "/api/v1/scans",
        headers=auth(officer),
        json=scan_body(item_code, "handover_offered", receiver={"username": "buuta.vonhai"}),
    )
    offer_id = first.get_json()["event"]["id"]
    c.post(
        "/api/v1/scans",
        headers=auth(officer),
        json=scan_body(item_code, "handover_offered", receiver={"unit_code": "BD-DONGHY"}),
    )
    stale = c.post(
        "/api/v1/scans",
        headers=auth(worker),
        json=scan_body(item_code, "handover_confirmed", follows=offer_id),
    )
    assert stale.status_code == 409, stale.get_json()
    assert stale.get_json()["error"]["reason"] == "offer_superseded"
    # Someone the stale offer did not name is refused, not recorded as a conflict.
    other = token_for(c, "buuta.donghy")
    assert (
        c.post(
            "/api/v1/scans",
            headers=auth(other),
            json=scan_body(item_code, "handover_confirmed", follows=offer_id),
        ).status_code
        == 422
    )


@pytest.mark.parametrize(
    "path", ["/api/v1/tokens/99999999999999999999", "/api/v1/tokens/2147483648"]
)
def test_huge_token_ids_are_404(client: FlaskClient, path: str) -> None:
    token = token_for(client, "buuta.vonhai")
    assert client.delete(path, headers=auth(token)).status_code == 404


def test_huge_event_ids_are_field_errors(client: FlaskClient, item_code: str) -> None:
    token = token_for(client, "canbo.trangxa")
    r = client.post(
        "/api/v1/scans", headers=auth(token), json=scan_body(item_code, "departed", follows=2**40)
    )
    assert r.status_code == 422 and "follows" in r.get_json()["error"]["fields"]
