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
