"""Slip data to JSON and back, so that a copy can be drawn from exactly what
the original was drawn from."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from postal_tracker.slips.model import (
    Delivery,
    DocumentLine,
    HandoverItem,
    HandoverSlipData,
    IntakeSlipData,
    Party,
)


def _party(p: Party) -> dict[str, Any]:
    sig = base64.b64encode(p.signature_png).decode() if p.signature_png else None
    return {"name": p.name, "unit": p.unit, "signature_png": sig}


def _unparty(d: dict[str, Any]) -> Party:
    sig = d.get("signature_png")
    return Party(d["name"], d["unit"], base64.b64decode(sig) if sig else None)


def dump_intake(data: IntakeSlipData) -> dict[str, Any]:
    return {
        "tracking_code": data.tracking_code,
        "slip_id": data.slip_id,
        "qr_text": data.qr_text,
        "issued_at": data.issued_at.isoformat(),
        "sender": _party(data.sender),
        "sender_phone_e164": data.sender_phone_e164,
        "procedure_code": data.procedure_code,
        "procedure_name": data.procedure_name,
        "agency": data.agency,
        "documents": [d.__dict__ for d in data.documents],
        "fee_vnd": data.fee_vnd,
        "postage_vnd": data.postage_vnd,
        "seal_number": data.seal_number,
        "delivery": str(data.delivery),
        "delivery_address": data.delivery_address,
        "officer": _party(data.officer),
        "on_behalf": data.on_behalf,
    }


def load_intake(d: dict[str, Any]) -> IntakeSlipData:
    return IntakeSlipData(
        **{
            **d,
            "issued_at": datetime.fromisoformat(d["issued_at"]),
            "sender": _unparty(d["sender"]),
            "officer": _unparty(d["officer"]),
            "documents": tuple(DocumentLine(**x) for x in d["documents"]),
            "delivery": Delivery(d["delivery"]),
        }
    )


def dump_handover(data: HandoverSlipData) -> dict[str, Any]:
    return {
        "slip_id": data.slip_id,
        "qr_text": data.qr_text,
        "reference": data.reference,
        "issued_at": data.issued_at.isoformat(),
        "giver": _party(data.giver),
        "receiver": _party(data.receiver),
        "items": [i.__dict__ for i in data.items],
        "note": data.note,
    }


def load_handover(d: dict[str, Any]) -> HandoverSlipData:
    return HandoverSlipData(
        **{
            **d,
            "issued_at": datetime.fromisoformat(d["issued_at"]),
            "giver": _unparty(d["giver"]),
            "receiver": _unparty(d["receiver"]),
            "items": tuple(HandoverItem(**x) for x in d["items"]),
        }
    )
