"""Building blocks for manifest tests: a bag of fresh items offered by a
commune officer to a postal worker."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col, select

from postal_tracker.custody.models import Alert, CustodyEvent, Item
from postal_tracker.db import transaction
from postal_tracker.manifests import service
from postal_tracker.manifests.models import Manifest
from tests.conftest import Browser
from tests.custody.helpers import VN, new_item, unit, user

GIVER = "canbo.trangxa"
GIVER_OFFICE = "MC-TRANGXA"
RECEIVER = "buuta.vonhai"


def now() -> datetime:
    return datetime.now(VN)


def cid() -> str:
    return uuid.uuid4().hex


def make_items(engine: sa.Engine, n: int) -> list[str]:
    """``n`` new items held by the giver; their tracking codes."""
    with transaction(engine) as s:
        return [new_item(s, GIVER, GIVER_OFFICE).tracking_code for _ in range(n)]


def built(engine: sa.Engine, codes: list[str]) -> str:
    """An open manifest of ``codes`` by the giver; its reference."""
    with transaction(engine) as s:
        giver = user(s, GIVER)
        m = service.create_manifest(s, giver, client_id=cid(), unit_id=unit(s, GIVER_OFFICE).id)
        for code in codes:
            service.add_item(s, giver, m, code)
        return m.reference


def offered(engine: sa.Engine, codes: list[str], receiver: str = RECEIVER) -> str:
    ref = built(engine, codes)
    with transaction(engine) as s:
        m = manifest(s, ref)
        to = service.find_receiver(s, receiver, "")
        service.offer_manifest(
            s, user(s, GIVER), m, to, client_id=cid(), device_time=now(), issuer=None
        )
    return ref


def offer_on_the_page(giver: Browser, ref: str) -> None:
    """The giver hands the bag to the receiver through the manifest page."""
    r = giver.post(
        f"/manifests/{ref}/offer",
        {
            "client_id": cid(),
            "device_time": "2026-11-27T09:00:00+07:00",
            "receiver_username": RECEIVER,
            "receiver_unit": "",
        },
    )
    assert r.status_code == 302, r.get_data(as_text=True)


def manifest(s: Session, ref: str) -> Manifest:
    return s.scalars(select(Manifest).where(Manifest.reference == ref)).one()


def item(s: Session, code: str) -> Item:
    return s.scalars(select(Item).where(Item.tracking_code == code)).one()


def events(s: Session, code: str) -> list[CustodyEvent]:
    return list(
        s.scalars(
            select(CustodyEvent)
            .where(CustodyEvent.item_id == item(s, code).id)
            .order_by(col(CustodyEvent.seq))
        )
    )


def alerts(s: Session, kind: str) -> list[Alert]:
    return list(s.scalars(select(Alert).where(Alert.kind == kind).order_by(col(Alert.id))))


def count(engine: sa.Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text(f'SELECT count(*) FROM "{table}"')).scalar_one())
