"""The intake form: every field of a dossier at pickup, each with its own
message when it is wrong, in the user's language."""

from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Field,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from postal_tracker.intake.models import DeliveryPreference
from postal_tracker.phones import InvalidPhone, parse_vn_phone

MAX_DOCUMENTS = 50
_REQUIRED = _l("This field is required.")


def _required() -> InputRequired:
    return InputRequired(message=_REQUIRED)


def _count(label: Any, minimum: int = 0) -> IntegerField:
    message = _l("Enter a whole number of at least %(min)d.", min=minimum)
    return IntegerField(
        label,
        default=minimum,
        validators=[InputRequired(message=message), NumberRange(min=minimum, max=9999, message=message)],
    )


class DocumentForm(Form):
    """One line of the inventory. Not a FlaskForm: the outer form holds the CSRF token."""

    name = StringField(_l("Document"), validators=[_required(), Length(max=300)])
    originals = _count(_l("Originals"))
    certified_copies = _count(_l("Certified copies"))
    photocopies = _count(_l("Photocopies"))
    pages = _count(_l("Pages"), minimum=1)

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        counts = [self.originals.data, self.certified_copies.data, self.photocopies.data]
        if ok and sum(c or 0 for c in counts) < 1:
            self.originals.errors = [
                *self.originals.errors,
                str(_l("Count at least one original, certified copy or photocopy.")),
            ]
            return False
        return ok


class IntakeForm(FlaskForm):
    client_id = HiddenField()
    device_time = HiddenField()
    intake_unit_id = SelectField(_l("Intake office"), coerce=int, validate_choice=True)

    sender_name = StringField(_l("Sender's full name"), validators=[_required(), Length(max=200)])
    sender_phone = StringField(_l("Phone number"), validators=[_required(), Length(max=20)])
    sender_address = TextAreaField(_l("Address"), validators=[_required(), Length(max=400)])
    sender_id_number = StringField(
        _l("ID number (optional)"), validators=[Optional(), Length(max=20)]
    )
    authorised = BooleanField(_l("Acting under an authorisation"))
    principal_name = StringField(_l("On behalf of"), validators=[Length(max=200)])

    procedure_code = StringField(_l("Procedure code"), validators=[_required(), Length(max=64)])
    procedure_name = StringField(_l("Procedure"), validators=[_required(), Length(max=300)])
    procedure_field = StringField(_l("Field"), validators=[Optional(), Length(max=200)])
    agency_id = SelectField(_l("Resolving agency"), coerce=int, validate_choice=True)

    documents = FieldList(FormField(DocumentForm), min_entries=1, max_entries=MAX_DOCUMENTS)

    fee_vnd = _count(_l("Fee (VND)"))
    postage_vnd = _count(_l("Postage (VND)"))
    seal_number = StringField(_l("Seal number"), validators=[_required(), Length(max=32)])
    delivery_preference = RadioField(
        _l("Result delivery"),
        choices=[
            (DeliveryPreference.HOME.value, _l("To the home address")),
            (DeliveryPreference.PICKUP.value, _l("Pickup at the commune")),
        ],
        default=DeliveryPreference.HOME.value,
        validators=[InputRequired(message=_l("Choose how the result is returned."))],
    )
    delivery_address = TextAreaField(
        _l("Delivery address (if not the sender's address)"), validators=[Length(max=400)]
    )
    note = TextAreaField(_l("Note"), validators=[Length(max=1000)])

    def validate_sender_phone(self, field: Field) -> None:
        try:
            field.data = parse_vn_phone(field.data or "")
        except InvalidPhone:
            raise ValidationError(
                _l("Enter a valid Vietnamese phone number, e.g. 0912 345 678.")
            ) from None

    def validate_sender_id_number(self, field: Field) -> None:
        value = re.sub(r"\s", "", field.data or "")
        if value and not re.fullmatch(r"\d{9}|\d{12}", value):
            raise ValidationError(_l("An ID number has 12 digits (or 9 for an old ID card)."))
        field.data = value

    def validate_principal_name(self, field: Field) -> None:
        if self.authorised.data and not (field.data or "").strip():
            raise ValidationError(_l("Name the person who gave the authorisation."))

    def validate_seal_number(self, field: Field) -> None:
        value = (field.data or "").strip().upper()
        if not re.fullmatch(r"[A-Z0-9-]{3,32}", value):
            raise ValidationError(_l("A seal number has 3 to 32 letters, digits or dashes."))
        field.data = value

    def validate_procedure_code(self, field: Field) -> None:
        value = (field.data or "").strip()
        if not re.fullmatch(r"[\w.\-/]{1,64}", value):
            raise ValidationError(_l("Use letters, digits, dots, dashes or slashes."))
        field.data = value
