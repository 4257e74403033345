"""What an archived slip prints, as JSON and back, so that a copy can be drawn
from exactly what the original was drawn from, by whatever engine draws
slips at the time.

The archive keeps ``SlipPayload.to_json()``. Versions:

1. the slip data's fields alone (slips archived before the version was kept);
2. the same fields with ``"version"`` and ``"kind"`` beside them.

A payload of any version listed here loads; tests reprint archived payloads
of each (``tests/slips/fixtures``).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

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


SLIP_VERSION = 2
SlipKind = Literal["intake", "handover"]


@dataclass(frozen=True)
class SlipPayload:
    """One slip's data, its kind and the version of the format it is kept in."""

    data: IntakeSlipData | HandoverSlipData
    version: int = SLIP_VERSION

    @property
    def kind(self) -> SlipKind:
        return "intake" if isinstance(self.data, IntakeSlipData) else "handover"

    def to_json(self) -> dict[str, Any]:
        if isinstance(self.data, IntakeSlipData):
            fields = dump_intake(self.data)
        else:
            fields = dump_handover(self.data)
        return {"version": SLIP_VERSION, "kind": self.kind, **fields}

    @classmethod
    def from_json(cls, payload: dict[str, Any], kind: str) -> SlipPayload:
        """``payload`` as archived; ``kind`` is the archive row's (version 1
        payloads do not name theirs). ``ValueError`` for a version or kind
        this code does not know."""
        fields = dict(payload)
        version = fields.pop("version", 1)
        kind = fields.pop("kind", kind)
        if version not in (1, SLIP_VERSION):
            raise ValueError(f"slip payload version {version!r} is newer than this code knows")
        if kind == "intake":
            return cls(load_intake(fields), version)
        if kind == "handover":
            return cls(load_handover(fields), version)
        raise ValueError(f"unknown slip kind {kind!r}")
