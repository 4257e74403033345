"""The manifests JSON API: a whole bag from building to receipt, retries,
and bad input, through the test client with bearer tokens."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import DEMO_PASSWORD
from tests.manifests.helpers import GIVER, RECEIVER, cid, count, make_items, now, offered


def token(client: FlaskClient, username: str) -> dict[str, str]:
    r = client.post("/api/v1/tokens", json={"username": username, "password": DEMO_PASSWORD})
    assert r.status_code == 201, r.get_json()
    return {"Authorization": f"Bearer {r.get_json()['token']}"}


def post(client: FlaskClient, path: str, who: dict[str, str], body: dict[str, Any]) -> Any:
    return client.post(path, json=body, headers=who)


def test_a_bag_from_building_to_receipt(app: Flask, engine: sa.Engine) -> None:
    client = app.test_client()
    giver, receiver = token(client, GIVER), token(client, RECEIVER)
    codes = make_items(engine, 4)
    create_id = cid()
    r = post(client, "/api/v1/manifests", giver, {"client_id": create_id})
    assert r.status_code == 201
    ref = r.get_json()["reference"]
    assert ref.startswith("BK-") and r.get_json()["status"] == "open"
    again = post(client, "/api/v1/manifests", giver, {"client_id": create_id})
    assert again.status_code == 200 and again.get_json()["reference"] == ref
    for code in codes[:3]:
        r = post(client, f"/api/v1/manifests/{ref}/items", giver, {"tracking_code": code})
        assert r.status_code == 200, r.get_json()
    r = client.delete(f"/api/v1/manifests/{ref}/items/{codes[2]}", headers=giver)
    assert [i["tracking_code"] for i in r.get_json()["items"]] == codes[:2]
    # Before the offer the receiver cannot see it at all.
    assert client.get(f"/api/v1/manifests/{ref}", headers=receiver).status_code == 404
    offer = {
        "client_id": cid(),
        "device_time": now().isoformat(),
        "receiver_username": RECEIVER,
    }
    r = post(client, f"/api/v1/manifests/{ref}/offer", giver, offer)
    assert r.status_code == 201, r.get_json()
    assert all(i["offer_event_id"] for i in r.get_json()["items"])
    assert post(client, f"/api/v1/manifests/{ref}/offer", giver, offer).status_code == 200
    listing = client.get("/api/v1/manifests", headers=receiver).get_json()
    assert [m["reference"] for m in listing["incoming"]] == [ref]
    receipt = {"client_id": cid(), "device_time": now().isoformat(), "codes": [codes[0], codes[3]]}
    r = post(client, f"/api/v1/manifests/{ref}/receipt", receiver, receipt)
    assert r.status_code == 201, r.get_json()
    assert r.get_json() == {
        "reference": ref,
        "confirmed": [codes[0]],
        "missing": [codes[1]],
        "extra": [codes[3]],
        "conflict": [],
    }
    events = count(engine, "custody_event")
    r2 = post(client, f"/api/v1/manifests/{ref}/receipt", receiver, receipt)
    assert r2.status_code == 200 and r2.headers["Idempotent-Replay"] == "true"
    assert r2.get_json() == r.get_json()
    assert count(engine, "custody_event") == events
    other = {**receipt, "codes": [codes[0]]}
    r3 = post(client, f"/api/v1/manifests/{ref}/receipt", receiver, other)
    assert r3.status_code == 422 and r3.get_json()["error"]["code"] == "client_id_reused"
    shown = client.get(f"/api/v1/manifests/{ref}", headers=giver).get_json()
    assert shown["status"] == "received"
    assert {line["outcome"] for line in shown["reconciliation"]["lines"]} == {
        "confirmed",
        "missing",
        "extra",
    }


def test_bad_input_gets_field_errors_and_writes_nothing(app: Flask, engine: sa.Engine) -> None:
    client = app.test_client()
    giver, receiver = token(client, GIVER), token(client, RECEIVER)
    codes = make_items(engine, 1)
    ref = offered(engine, codes)
    before = count(engine, "custody_event"), count(engine, "manifest_check")
    path = f"/api/v1/manifests/{ref}/receipt"
    base = {"client_id": cid(), "device_time": now().isoformat()}
    r = post(client, path, receiver, {**base, "codes": []})
    assert r.status_code == 422 and "codes" in r.get_json()["error"]["fields"]
    bad = codes[0][:10] + str((int(codes[0][10]) + 1) % 10) + codes[0][11:]
    r = post(client, path, receiver, {**base, "codes": [codes[0], bad]})
    assert r.status_code == 422
    assert r.get_json()["error"]["code"] == "check_digit"
    assert "codes.1" in r.get_json()["error"]["fields"]
    r = post(client, path, receiver, {**base, "device_time": "2026-11-27T08:00:00"})
    assert r.status_code == 422 and "device_time" in r.get_json()["error"]["fields"]
    r = post(client, path, receiver, {"client_id": "x", "codes": codes})
    assert r.status_code == 422
    assert {"client_id", "device_time"} <= set(r.get_json()["error"]["fields"])
    # Someone else's manifest is not there at all; the giver may not receive.
    stranger = token(client, "buuta.donghy")
    assert post(client, path, stranger, {**base, "codes": codes}).status_code == 404
    assert client.get(f"/api/v1/manifests/{ref}", headers=stranger).status_code == 404
    r = post(client, path, giver, {**base, "codes": codes})
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "not_receiver"
    assert post(client, path, {}, {**base, "codes": codes}).status_code == 401
    assert (count(engine, "custody_event"), count(engine, "manifest_check")) == before


def test_offer_needs_a_real_receiver(app: Flask, engine: sa.Engine) -> None:
    client = app.test_client()
    giver = token(client, GIVER)
    codes = make_items(engine, 1)
    ref = post(client, "/api/v1/manifests", giver, {"client_id": cid()}).get_json()["reference"]
    r = post(
        client,
        f"/api/v1/manifests/{ref}/offer",
        giver,
        {"client_id": cid(), "device_time": now().isoformat(), "receiver_username": RECEIVER},
    )
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "empty"
    post(client, f"/api/v1/manifests/{ref}/items", giver, {"tracking_code": codes[0]})
    events = count(engine, "custody_event")
    for body, field in (
        ({"receiver_username": "nobody.here"}, "receiver_username"),
        ({"receiver_unit_code": "NO-SUCH"}, "receiver_unit"),
        ({}, "receiver_username"),
        ({"receiver_username": GIVER}, "receiver_username"),
    ):
        r = post(
            client,
            f"/api/v1/manifests/{ref}/offer",
            giver,
            {"client_id": cid(), "device_time": now().isoformat(), **body},
        )
        assert r.status_code == 422, body
        assert field in r.get_json()["error"]["fields"], r.get_json()
    r = post(client, f"/api/v1/manifests/{ref}/items", giver, {"tracking_code": "HC000000000VN"})
    assert r.status_code == 422 and r.get_json()["error"]["fields"] == {
        "code": "The check digit does not match: the code was mistyped or misread."
    }
    assert count(engine, "custody_event") == events


def test_openapi_lists_the_manifest_endpoints(client: FlaskClient) -> None:
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "/api/v1/manifests/{reference}/receipt" in paths
    assert "/api/v1/manifests" in paths


def test_control_characters_and_odd_references_are_refused(app: Flask) -> None:
    client = app.test_client()
    giver = token(client, GIVER)
    r = post(client, "/api/v1/manifests", giver, {"client_id": cid(), "note": "túi\x00 1"})
    assert r.status_code == 422 and "note" in r.get_json()["error"]["fields"]
    for ref in ("BK-\x00", "bk-' or 1=1", "BK-TOOLONGREFERENCE"):
        assert client.get(f"/api/v1/manifests/{ref}", headers=giver).status_code == 404
    ref = post(client, "/api/v1/manifests", giver, {"client_id": cid()}).get_json()["reference"]
    assert client.get(f"/api/v1/manifests/{ref.lower()}", headers=giver).status_code == 200
