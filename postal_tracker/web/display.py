"""How domain values read on a page: translated labels and local times."""

from __future__ import annotations

from datetime import datetime

from flask import Flask
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from postal_tracker.clock import VN_TZ

PHASES: dict[str, LazyString] = {
    "new": _l("new"),
    "accepted": _l("taken in"),
    "in_transit": _l("in transit"),
    "at_agency": _l("at the agency"),
    "result_ready": _l("result ready"),
    "returning": _l("result on its way back"),
    "out_for_delivery": _l("out for delivery"),
    "held_for_pickup": _l("held for pickup"),
    "delivered": _l("delivered"),
    "returned": _l("returned to the agency"),
}

EVENTS: dict[str, LazyString] = {
    "accepted": _l("Taken in and sealed"),
    "handover_offered": _l("Handover offered"),
    "handover_confirmed": _l("Handover confirmed"),
    "arrived": _l("Arrived"),
    "departed": _l("Departed"),
    "delivered_to_agency": _l("Received by the agency"),
    "result_ready": _l("Result ready"),
    "result_collected": _l("Result collected by the post"),
    "out_for_delivery": _l("Out for delivery"),
    "delivery_failed": _l("Delivery attempt failed"),
    "delivered": _l("Delivered"),
    "held_for_pickup": _l("Held for pickup"),
    "returned_to_agency": _l("Returned to the agency"),
    "incident_opened": _l("Incident reported"),
    "incident_resolved": _l("Incident resolved"),
    "corrected": _l("Correction"),
    "conflict": _l("Conflicting scan (disputed)"),
}


def phase_label(phase: str) -> str:
    return str(PHASES.get(str(phase), phase))


def event_label(kind: str) -> str:
    return str(EVENTS.get(str(kind), kind))


def vn_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M")


def init_app(app: Flask) -> None:
    app.jinja_env.filters["vn_datetime"] = vn_datetime
    app.jinja_env.globals.update(phase_label=phase_label, event_label=event_label)
