"""Building blocks for custody tests: users, fresh items, scans."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session
from sqlmodel import select

from postal_tracker.auth.models import User
from postal_tracker.auth.roles import Role
from postal_tracker.auth.service import create_user, find_user
from postal_tracker.clock import VN_TZ
from postal_tracker.custody.actors import actor_for
from postal_tracker.custody.ledger import Scan
from postal_tracker.custody.models import Item
from postal_tracker.custody.rules import Actor, EventKind
from postal_tracker.intake.models import DeliveryPreference
from postal_tracker.intake.service import DocumentLine, IntakeRecord, take_in
from postal_tracker.units.models import Unit

VN = VN_TZ


def unit(session: Session, code: str) -> Unit:
    return session.scalars(select(Unit).where(Unit.code == code)).one()


def user(session: Session, username: str) -> User:
    u = find_user(session, username)
    assert u is not None, username
    return u


def actor(session: Session, username: str, unit_code: str | None = None) -> Actor:
    acting = unit(session, unit_code).id if unit_code else None
    return actor_for(session, user(session, username), acting)


def add_user(session: Session, username: str, role: Role, unit_code: str) -> User:
    return create_user(
        session,
        username=username,
        full_name=username.title(),
        role=role,
        password="x" * 12,
        units=[unit(session, unit_code)],
    )


def intake_record(session: Session, office: str = "MC-TRANGXA", seal: str = "") -> IntakeRecord:
    """What an officer at ``office`` types in; a new seal unless ``seal`` is given."""
    return IntakeRecord(
        sender_name="Nguyễn Thị Phương Thảo",
        sender_phone="+84912345678",
        sender_address="Xã Tràng Xá",
        sender_id_number="",
        authorised=False,
        principal_name="",
        procedure_code="2.000633",
        procedure_name="Cấp giấy phép",
        procedure_field="",
        agency_id=unit(session, "SCT").id or 0,
        documents=(DocumentLine("Đơn", 1, 0, 0, 2),),
        fee_vnd=0,
        postage_vnd=0,
        seal_number=seal or f"NT-{uuid.uuid4().hex[:10].upper()}",
        delivery_preference=DeliveryPreference.HOME,
        delivery_address="",
        note="",
        intake_unit_id=unit(session, office).id or 0,
    )


def new_item(
    session: Session, username: str = "canbo.trangxa", office: str = "MC-TRANGXA", seal: str = ""
) -> Item:
    """A freshly taken-in dossier item, held by ``username``; a new seal unless
    ``seal`` is given."""
    _, item = take_in(
        session,
        actor(session, username, office),
        intake_record(session, office, seal),
        client_id=str(uuid.uuid4()),
        device_time=datetime.now(VN),
        tracking_prefix="HC",
    )
    return item


def scan(item: Item | str, kind: EventKind, **kw: Any) -> Scan:
    code = item if isinstance(item, str) else item.tracking_code
    kw.setdefault("client_id", str(uuid.uuid4()))
    kw.setdefault("device_time", datetime.now(VN))
    return Scan(tracking_code=code, kind=kind, **kw)
