"""Fixtures for the pages: compiled catalogues, demo ids, row counts, and a
filled-in intake form."""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_babel import force_locale, gettext

WRITTEN_TABLES = ("dossier", "dossier_document", "item", "custody_event")


@pytest.fixture
def unit_ids(app: Flask) -> dict[str, int]:
    """Demo unit ids by unit code."""
    with app.extensions["db_engine"].connect() as conn:
        return {code: uid for uid, code in conn.execute(sa.text("SELECT id, code FROM unit"))}


@pytest.fixture
def dossier_ids(app: Flask) -> dict[str, int]:
    """Demo dossier ids by sender name."""
    with app.extensions["db_engine"].connect() as conn:
        rows = conn.execute(sa.text("SELECT id, sender_name FROM dossier"))
        return {name: did for did, name in rows}


@pytest.fixture
def row_counts(app: Flask) -> Callable[[], dict[str, int]]:
    """Rows in each table an intake writes to."""

    def count() -> dict[str, int]:
        with app.extensions["db_engine"].connect() as conn:
            return {
                t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one()
                for t in WRITTEN_TABLES
            }

    return count


def document_row(index: int, name: str = "Tờ khai", **counts: Any) -> dict[str, str]:
    values = {"originals": 1, "certified_copies": 0, "photocopies": 0, "pages": 2, **counts}
    row = {f"documents-{index}-name": name}
    row.update({f"documents-{index}-{k}": str(v) for k, v in values.items()})
    return row


@pytest.fixture
def intake_form(unit_ids: dict[str, int]) -> Callable[..., dict[str, str]]:
    """A complete, valid intake form for canbo.trangxa; keyword arguments
    replace fields (a value of None leaves the field out)."""

    def make(**overrides: Any) -> dict[str, str]:
        data: dict[str, Any] = {
            "client_id": str(uuid.uuid4()),
            "device_time": "2026-03-02T09:15:00+07:00",
            "intake_unit_id": unit_ids["MC-TRANGXA"],
            "sender_name": "Hoàng Thị Lụa",
            "sender_phone": "0912 345 679",
            "sender_address": "Xóm Na Hoàng, xã Tràng Xá, huyện Võ Nhai",
            "sender_id_number": "019188000123",
            "principal_name": "",
            "procedure_code": "1.001612",
            "procedure_name": "Đăng ký hộ kinh doanh",
            "procedure_field": "Thành lập và hoạt động của hộ kinh doanh",
            "agency_id": unit_ids["SCT"],
            "fee_vnd": "100000",
            "postage_vnd": "26000",
            # A seal is used once per office: each form its own.
            "seal_number": f"nt-{uuid.uuid4().hex[:8]}",
            "delivery_preference": "home",
            "delivery_address": "",
            "note": "Gọi trước khi giao",
            **document_row(0, "Giấy đề nghị đăng ký hộ kinh doanh", originals=1, pages=2),
            **document_row(1, "Căn cước công dân", originals=0, certified_copies=1, pages=1),
        }
        data.update(overrides)
        return {k: str(v) for k, v in data.items() if v is not None}

    return make


def error_for(page: str, field_id: str) -> str | None:
    """The message shown next to the field with this id, if any."""
    match = re.search(rf'<p class="error" id="{re.escape(field_id)}-error">(.*?)</p>', page, re.S)
    return html.unescape(match.group(1)).strip() if match else None


def translated(app: Flask, locale: str, message: str, **variables: Any) -> str:
    with app.test_request_context(), force_locale(locale):
        return str(gettext(message, **variables))
