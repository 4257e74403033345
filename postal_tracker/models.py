"""Imports every table so that SQLModel.metadata (and Alembic) sees them all."""

from sqlalchemy import MetaData
from sqlmodel import SQLModel

from postal_tracker.agency.models import AgencyResult, ApologySlip, Appointment
from postal_tracker.api.models import ApiToken
from postal_tracker.auth.models import Membership, User
from postal_tracker.custody.models import Alert, CustodyEvent, Item, TrackingSerial
from postal_tracker.delivery.models import Delivery, DeliveryRoute, DeliveryWorker
from postal_tracker.intake.models import Dossier, DossierDocument
from postal_tracker.manifests.models import Manifest, ManifestCheck, ManifestLine
from postal_tracker.notify.models import OutboxMessage
from postal_tracker.slips.models import CodeReservation, IssuedSlip
from postal_tracker.units.models import Unit
from postal_tracker.watch.models import AlertResolution

metadata: MetaData = SQLModel.metadata

__all__ = [
    "AgencyResult",
    "Alert",
    "AlertResolution",
    "ApiToken",
    "ApologySlip",
    "Appointment",
    "CodeReservation",
    "CustodyEvent",
    "Delivery",
    "DeliveryRoute",
    "DeliveryWorker",
    "Dossier",
    "DossierDocument",
    "IssuedSlip",
    "Item",
    "Manifest",
    "ManifestCheck",
    "ManifestLine",
    "Membership",
    "OutboxMessage",
    "TrackingSerial",
    "Unit",
    "User",
    "metadata",
]
