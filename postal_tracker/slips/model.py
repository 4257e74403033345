"""What a slip says: plain frozen data, filled in by the app from its tables.

Texts are printed as given (normalised to NFC); phone numbers are passed in
E.164 and printed masked. ``qr_text`` is the signed URL
(``token.slip_url(base_url, token.sign_slip(...))``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


@dataclass(frozen=True)
class Party:
    """A person on one side of a handover, and the unit they act for."""

    name: str
    unit: str
    signature_png: bytes | None = None  # a drawn e-signature, if one was given


@dataclass(frozen=True)
class DocumentLine:
    """One document of a dossier's inventory and how many of each form."""

    name: str
    originals: int = 0
    certified_copies: int = 0
    photocopies: int = 0
    pages: int = 0


class Delivery(StrEnum):
    """How the citizen receives the result."""

    HOME = "home"
    PICKUP = "pickup"


@dataclass(frozen=True)
class IntakeSlipData:
    """The intake slip: the citizen's receipt and the envelope label."""

    tracking_code: str
    slip_id: int
    qr_text: str
    issued_at: datetime  # aware
    sender: Party  # name and, if they signed on screen, their signature
    sender_phone_e164: str
    procedure_code: str
    procedure_name: str
    agency: str
    documents: tuple[DocumentLine, ...]
    fee_vnd: int
    postage_vnd: int
    seal_number: str
    delivery: Delivery
    delivery_address: str  # printed on the receipt only; "" for pickup
    officer: Party  # the intake officer and their unit
    on_behalf: bool = False  # the sender acts under an authorisation


@dataclass(frozen=True)
class HandoverItem:
    """One item in a handover: what the receiver counts and checks."""

    tracking_code: str
    documents: int
    pages: int
    seal_number: str


@dataclass(frozen=True)
class HandoverSlipData:
    """A handover record for one item or a manifest of many.

    ``reference`` is printed under the QR: the item's tracking code, or the
    manifest's number.
    """

    slip_id: int
    qr_text: str
    reference: str
    issued_at: datetime  # aware
    giver: Party
    receiver: Party
    items: tuple[HandoverItem, ...]
    note: str = ""


@dataclass(frozen=True)
class LabelData:
    """One pre-printed tracking label."""

    tracking_code: str
    qr_text: str = field(default="")  # "" prints the tracking code itself in the QR

    @property
    def qr_payload(self) -> str:
        return self.qr_text or self.tracking_code
