"""The manifest pages' forms, and the words for what the service refuses.

WTForms ships no Vietnamese messages, so every validator carries its own."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

_TOO_LONG = _l("Use at most %(max)d characters.", max=64)


class NewManifestForm(FlaskForm):
    client_id = HiddenField()
    unit_id = SelectField(_l("For the office"), coerce=int, validate_choice=False)
    note = StringField(
        _l("Note"), validators=[Length(max=500, message=_l("Use at most 500 characters."))]
    )


class ItemForm(FlaskForm):
    code = StringField(
        _l("Tracking code"),
        validators=[
            DataRequired(message=_l("Scan or type a tracking code.")),
            Length(max=40, message=_l("Not a tracking code (e.g. HC123456785VN).")),
        ],
    )


class OfferForm(FlaskForm):
    client_id = HiddenField()
    device_time = HiddenField()
    receiver_username = StringField(
        _l("Receiver (username)"), validators=[Length(max=64, message=_TOO_LONG)]
    )
    receiver_unit = SelectField(_l("or an office"), validate_choice=False)


class ReceiveForm(FlaskForm):
    client_id = HiddenField()
    device_time = HiddenField()
    codes = TextAreaField(
        _l("Scanned codes, one per line"),
        validators=[Length(max=20_000, message=_l("Too many codes at once."))],
    )


# What the service refuses, by its stable code, in the user's language.
MESSAGES = {
    "check_digit": _l("The check digit does not match: the code was mistyped or misread."),
    "format": _l("Not a tracking code (e.g. HC123456785VN)."),
    "not_held": _l("You do not hold an item with this code."),
    "disputed": _l("This item is disputed; a supervisor must resolve it first."),
    "closed": _l("This item's journey has ended."),
    "in_other_manifest": _l("This item is already in another open manifest."),
    "full": _l("This manifest is full; start another."),
    "not_listed": _l("This item is not in the manifest."),
    "not_open": _l("This manifest was already handed over; it cannot change."),
    "not_giver": _l("Only the giver changes a manifest."),
    "receiver": _l("No such person."),
    "receiver_unit": _l("No such office."),
    "no_receiver": _l("Name the person or the office who receives."),
    "self": _l("You cannot hand items to yourself."),
    "empty": _l("Scan at least one item."),
    "not_receiver": _l("Only the receiver scans this manifest in."),
    "not_offered": _l("This manifest is not waiting for receipt."),
    "already_received": _l("This manifest was already received."),
    "unit": _l("Choose one of your offices."),
    "role": _l("Your role does not hand items over."),
}
