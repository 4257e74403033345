"""The scanner page's messages, translated on the server and handed to the
script as JSON, so that the script holds no language of its own."""

from __future__ import annotations

from flask_babel import gettext as _

from postal_tracker.web.display import EVENTS, PHASES


def scanner_strings() -> dict[str, object]:
    return {
        "saved": _("Saved on this phone"),
        "bad_code": _("This is not a valid tracking code: check the letters and digits."),
        "bad_format": _(
            "A tracking code has 2 letters, 9 digits and 2 letters, e.g. HC123456785VN."
        ),
        "not_found": _("No item with this tracking code in your area of work."),
        "offline_unknown": _(
            "No network: this item is not in your saved list, so its state is unknown. "
            "What you record is kept and checked when the network returns."
        ),
        "offline_known": _("No network: using the list saved on this phone."),
        "looking_up": _("Looking the item up…"),
        "you_hold": _("You hold this item."),
        "offered_to_you": _("This item is offered to you: scan to confirm you received it."),
        "disputed": _("This item is disputed; a supervisor must resolve it."),
        "held_by_other": _("Someone else holds this item."),
        "receiver_needed": _("Name who receives the item: a person or an office."),
        "incident_kind_needed": _("Choose what is wrong."),
        "pages_needed": _("Say how many pages are missing."),
        "conflict": _(
            "Conflict: the item moved before this scan was sent. It was recorded as a "
            "conflict and a supervisor was alerted; nothing was overwritten."
        ),
        "failed": _("The server refused this scan:"),
        "discard_confirm": _("Discard this scan? It will not be sent."),
        "other_user": _("Scans by another person wait until they log in on this phone."),
        "wrong_session": _(
            "Someone else is logged in now; these scans wait until their author logs in again."
        ),
        "camera_unavailable": _("The camera cannot be used here; take a photo instead."),
        "photo_no_code": _("No code was found in the photo. Try again, closer and steadier."),
        "photo_sending": _("Reading the photo…"),
        "geo_denied": _("Location is not available; scans are saved without it."),
        "discard": _("Discard"),
        "phase": {k: str(v) for k, v in PHASES.items()},
        "events": {k: str(v) for k, v in EVENTS.items()},
        "kinds": {
            "handover_offered": _("Offer handover"),
            "handover_confirmed": _("Confirm receipt"),
            "delivered_to_agency": _("Confirm receipt by the agency"),
            "result_collected": _("Confirm collecting the result"),
            "returned_to_agency": _("Confirm the result is back at the agency"),
            "arrived": _("Arrived at the office"),
            "departed": _("Departed from the office"),
            "incident_opened": _("Report an incident"),
        },
    }
