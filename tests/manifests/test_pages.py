"""The manifest pages through the test client, logged in as demo users."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

import sqlalchemy as sa
from flask import Flask

from tests.conftest import Browser
from tests.manifests.helpers import (
    GIVER,
    RECEIVER,
    count,
    make_items,
    offer_on_the_page,
    offered,
)


def _start(giver: Browser, unit_ids: dict[str, int]) -> str:
    r = giver.post(
        "/manifests/new",
        {"client_id": uuid.uuid4().hex, "unit_id": unit_ids["MC-TRANGXA"], "note": "Túi 1"},
    )
    assert r.status_code == 302, r.get_data(as_text=True)
    match = re.search(r"/manifests/(BK-[A-Z0-9]+)$", r.headers["Location"])
    assert match
    return match.group(1)


def test_build_offer_print_and_receive(
    app: Flask,
    engine: sa.Engine,
    as_user: Callable[[str], Browser],
    unit_ids: dict[str, int],
) -> None:
    codes = make_items(engine, 3)
    giver = as_user(GIVER)
    assert giver.client.get("/manifests/").status_code == 200
    ref = _start(giver, unit_ids)
    for code in codes[:2]:
        r = giver.post(f"/manifests/{ref}/items", {"code": code})
        assert r.status_code == 302, r.get_data(as_text=True)
    # A typo in the check digit is refused on the page, nothing added.
    typo = codes[2][:10] + str((int(codes[2][10]) + 1) % 10) + codes[2][11:]
    r = giver.post(f"/manifests/{ref}/items", {"code": typo})
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert "has-error" in page and 'id="item-count">2<' in page
    assert count(engine, "manifest_line") == 2
    r = giver.post(f"/manifests/{ref}/offer", {"client_id": "c" * 32, "receiver_username": ""})
    assert r.status_code == 422 and "has-error" in r.get_data(as_text=True)
    offer_on_the_page(giver, ref)
    slip = giver.client.get(f"/manifests/{ref}/slip.pdf")
    assert slip.status_code == 200 and slip.mimetype == "application/pdf"
    assert slip.data.startswith(b"%PDF")
    receiver = as_user(RECEIVER)
    assert ref in receiver.client.get("/manifests/").get_data(as_text=True)
    page = receiver.client.get(f"/manifests/{ref}/receive").get_data(as_text=True)
    assert codes[0] in page and 'id="scan"' in page
    r = receiver.post(
        f"/manifests/{ref}/receive",
        {"client_id": uuid.uuid4().hex, "codes": f"{codes[0]}\n{codes[2].lower()}\n"},
    )
    assert r.status_code == 200, r.get_data(as_text=True)
    page = r.get_data(as_text=True)
    assert 'id="n-confirmed">1<' in page
    assert 'id="n-missing">1<' in page
    assert 'id="n-extra">1<' in page
    assert codes[1] in page and codes[2] in page
    shown = giver.client.get(f"/manifests/{ref}").get_data(as_text=True)
    assert "outcome-missing" in shown and "outcome-confirmed" in shown


def test_receive_page_bad_input(
    app: Flask, engine: sa.Engine, as_user: Callable[[str], Browser]
) -> None:
    codes = make_items(engine, 1)
    ref = offered(engine, codes)
    receiver = as_user(RECEIVER)
    events = count(engine, "custody_event")
    r = receiver.post(f"/manifests/{ref}/receive", {"client_id": uuid.uuid4().hex, "codes": " "})
    assert r.status_code == 422 and 'id="codes-error"' in r.get_data(as_text=True)
    r = receiver.post(
        f"/manifests/{ref}/receive",
        {"client_id": uuid.uuid4().hex, "codes": f"{codes[0]}\nHC000000000VN"},
    )
    assert r.status_code == 422
    assert "HC000000000VN" in r.get_data(as_text=True)
    assert count(engine, "custody_event") == events
    assert count(engine, "manifest_check") == 0


def test_outsiders_get_404(
    app: Flask, engine: sa.Engine, as_user: Callable[[str], Browser]
) -> None:
    codes = make_items(engine, 1)
    ref = offered(engine, codes)
    stranger = as_user("buuta.donghy")
    for path in ("", "/receive", "/slip.pdf"):
        assert stranger.client.get(f"/manifests/{ref}{path}").status_code == 404, path
    r = stranger.post(f"/manifests/{ref}/receive", {"codes": codes[0]})
    assert r.status_code == 404
    # The giver sees the manifest but does not scan it in.
    giver = as_user(GIVER)
    assert giver.client.get(f"/manifests/{ref}").status_code == 200
    assert giver.client.get(f"/manifests/{ref}/receive").status_code == 404
    assert as_user("giamsat").client.get(f"/manifests/{ref}").status_code == 200
    assert app.test_client().get(f"/manifests/{ref}").status_code == 302  # to the login page
