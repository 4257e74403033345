"""The bag's handover slip is issued once, when the bag is offered: archived
by its SHA-256, which every offer event records; printed again byte for byte;
a reprint is a marked copy; its QR is a signed slip token; and only the
parties (and their supervisors) can print it."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

from postal_tracker.custody.rules import EventKind
from postal_tracker.db import transaction
from postal_tracker.slips.keys import verify_with_published_keys
from postal_tracker.slips.models import IssuedSlip
from postal_tracker.slips.strings import display_code
from postal_tracker.slips.token import token_from_scan
from tests.conftest import Browser
from tests.manifests.helpers import (
    GIVER,
    RECEIVER,
    built,
    cid,
    events,
    make_items,
    manifest,
    now,
    offer_on_the_page,
)
from tests.slips.pdfcheck import qr_texts, text_of


def test_the_slip_is_issued_at_the_offer_and_printed_byte_for_byte(
    engine: sa.Engine, as_user: Callable[[str], Browser], client: FlaskClient
) -> None:
    codes = make_items(engine, 3)
    ref = built(engine, codes)
    giver = as_user(GIVER)
    assert giver.client.get(f"/manifests/{ref}/slip.pdf").status_code == 404  # still open
    offer_on_the_page(giver, ref)

    first = giver.client.get(f"/manifests/{ref}/slip.pdf")
    again = as_user(RECEIVER).client.get(f"/manifests/{ref}/slip.pdf")
    assert first.status_code == again.status_code == 200
    assert first.data == again.data and first.data.startswith(b"%PDF")
    sha = hashlib.sha256(first.data).hexdigest()
    with transaction(engine) as s:
        m = manifest(s, ref)
        slip = s.get(IssuedSlip, m.slip_id)
        assert slip is not None and slip.sha256 == sha and slip.kind == "handover"
        for code in codes:
            [offer] = [e for e in events(s, code) if e.kind is EventKind.HANDOVER_OFFERED]
            assert offer.data["slip_sha256"] == sha and offer.data["slip_id"] == slip.id

    text = text_of(first.data)
    assert ref in text and all(display_code(code) in text for code in codes)
    # The QR is a signed token anyone can verify with the published keys.
    [url] = qr_texts(first.data, dpi=200)
    verified = verify_with_published_keys(
        token_from_scan(url), client.get("/api/v1/keys").get_json()
    )
    assert verified.slip_id == slip.id and verified.tracking_code in codes
    page = client.get(url.removeprefix("HTTP://LOCALHOST")).get_data(as_text=True)
    assert "HỢP LỆ" in page and ref in page and "3 bưu gửi" in page


def test_a_reprint_is_a_marked_copy_made_once(
    engine: sa.Engine, as_user: Callable[[str], Browser]
) -> None:
    ref = built(engine, make_items(engine, 2))
    giver = as_user(GIVER)
    offer_on_the_page(giver, ref)
    original = giver.client.get(f"/manifests/{ref}/slip.pdf").data
    assert giver.client.get(f"/manifests/{ref}/copy.pdf").status_code == 404  # none made yet
    r = giver.post(f"/manifests/{ref}/copy", {})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/manifests/{ref}/copy.pdf")
    copy = giver.client.get(f"/manifests/{ref}/copy.pdf").data
    assert copy != original and "BẢN SAO" in text_of(copy)
    giver.post(f"/manifests/{ref}/copy", {})
    assert giver.client.get(f"/manifests/{ref}/copy.pdf").data == copy
    assert giver.client.get(f"/manifests/{ref}/slip.pdf").data == original
    with transaction(engine) as s:
        assert len(s.scalars(select(IssuedSlip).where(IssuedSlip.kind == "handover")).all()) == 2


def test_others_get_404_for_the_slip(engine: sa.Engine, as_user: Callable[[str], Browser]) -> None:
    ref = built(engine, make_items(engine, 1))
    offer_on_the_page(as_user(GIVER), ref)
    stranger = as_user("buuta.donghy")
    assert stranger.client.get(f"/manifests/{ref}/slip.pdf").status_code == 404
    assert stranger.post(f"/manifests/{ref}/copy", {}).status_code == 404


def test_an_offer_through_the_api_issues_the_slip_too(app: Flask, engine: sa.Engine) -> None:
    from tests.manifests.test_api import post, token

    client = app.test_client()
    giver = token(client, GIVER)
    ref = built(engine, make_items(engine, 2))
    offer = {"client_id": cid(), "device_time": now().isoformat(), "receiver_username": RECEIVER}
    assert post(client, f"/api/v1/manifests/{ref}/offer", giver, offer).status_code == 201
    assert post(client, f"/api/v1/manifests/{ref}/offer", giver, offer).status_code == 200
    with transaction(engine) as s:
        m = manifest(s, ref)
        slip = s.get(IssuedSlip, m.slip_id)
        assert slip is not None and slip.sha256 == hashlib.sha256(slip.pdf).hexdigest()
        # The retry issued no second slip.
        assert len(s.scalars(select(IssuedSlip).where(IssuedSlip.kind == "handover")).all()) == 1
