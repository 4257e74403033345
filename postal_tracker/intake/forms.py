"""The intake form: every field of a dossier at pickup, each with its own
message when it is wrong, in the user's language.

WTForms ships no Vietnamese messages, so every validator here carries its own
translated message, including the ones WTForms would otherwise write itself
(a value that is not a number, a choice that is not in the list, a text too long).
"""

from __future__ import annotations

import re
import unicodedata
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
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    StopValidation,
    ValidationError,
)

from postal_tracker import s10
from postal_tracker.errors import DomainError
from postal_tracker.intake.models import DeliveryPreference
from postal_tracker.phones import InvalidPhone, parse_vn_phone
from postal_tracker.proof_images import signature_png
from postal_tracker.web.refusals import translated

MAX_DOCUMENTS = 50
MAX_COUNT = 9999
MAX_VND = 1_000_000_000
_REQUIRED = _l("This field is required.")
# Phones open their digit keypad for these.
_NUMERIC = {"inputmode": "numeric", "min": "0"}


def clean_text(value: Any) -> Any:
    """Trim and compose (NFC) text: Vietnamese keyboards may send decomposed
    accents, which would make the same name look different to a search."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value).strip()
    return value


def id_number(text: str) -> str:
    """An ID number as stored: digits without the spaces people type."""
    return re.sub(r"\s", "", text)


def seal_number(text: str) -> str:
    return text.upper()


def _required() -> DataRequired:
    # DataRequired, not InputRequired: a field of spaces is empty.
    return DataRequired(message=_REQUIRED)


def _max_length(limit: int) -> Length:
    return Length(max=limit, message=_l("Use at most %(max)d characters.", max=limit))


def _validators(limit: int, required: bool) -> list[Any]:
    # No ``Optional()`` for optional fields: it would stop the chain before the
    # form's own checks (e.g. a principal's name, needed only when authorised).
    return [_required(), _max_length(limit)] if required else [_max_length(limit)]


def _text(label: Any, limit: int, *, required: bool = True) -> StringField:
    return StringField(label, validators=_validators(limit, required), filters=[clean_text])


def _long_text(label: Any, limit: int, *, required: bool = True) -> TextAreaField:
    return TextAreaField(label, validators=_validators(limit, required), filters=[clean_text])


class CountField(IntegerField):
    """A whole number with one message for every way it can be wrong."""

    def pre_validate(self, form: Any) -> None:
        if self.process_errors:
            # Text that is not a number: its message is already there, once.
            raise StopValidation()


def _count(label: Any, minimum: int = 0, maximum: int = MAX_COUNT) -> CountField:
    message = _l("Enter a whole number from %(min)d to %(max)d.", min=minimum, max=maximum)
    return CountField(
        label,
        default=minimum,
        render_kw=_NUMERIC,
        invalid_value_message=message,
        validators=[
            InputRequired(message=message),
            NumberRange(min=minimum, max=maximum, message=message),
        ],
    )


def _money(label: Any) -> CountField:
    message = _l("Enter an amount in đồng: a whole number, 0 or more.")
    return CountField(
        label,
        default=0,
        render_kw=_NUMERIC,
        invalid_value_message=message,
        validators=[
            InputRequired(message=message),
            NumberRange(min=0, max=MAX_VND, message=message),
        ],
    )


class DocumentForm(Form):
    """One line of the inventory. Not a FlaskForm: the outer form holds the CSRF token."""

    name = _text(_l("Document"), 300)
    originals = _count(_l("Originals"))
    certified_copies = _count(_l("Certified copies"))
    photocopies = _count(_l("Photocopies"))
    pages = _count(_l("Pages"), minimum=1)

    def validate(self, extra_validators: Any = None) -> bool:
        ok: bool = super().validate(extra_validators)
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
    intake_unit_id = SelectField(
        _l("Intake office"),
        coerce=int,
        validate_choice=True,
        invalid_value_message=_l("Choose one of your offices."),
        invalid_choice_message=_l("Choose one of your offices."),
    )

    sender_name = _text(_l("Sender's full name"), 200)
    sender_phone = StringField(
        _l("Phone number"),
        validators=_validators(20, required=True),
        filters=[clean_text],
        render_kw={"type": "tel", "autocomplete": "off"},
    )
    sender_address = _long_text(_l("Address"), 400)
    sender_id_number = _text(_l("ID number (optional)"), 20, required=False)
    authorised = BooleanField(_l("Acting under an authorisation"))
    principal_name = _text(_l("On behalf of"), 200, required=False)

    procedure_code = _text(_l("Procedure code"), 64)
    procedure_name = _text(_l("Procedure"), 300)
    procedure_field = _text(_l("Field"), 200, required=False)
    agency_id = SelectField(
        _l("Resolving agency"),
        coerce=int,
        validate_choice=True,
        invalid_value_message=_l("Choose an agency from the list."),
        invalid_choice_message=_l("Choose an agency from the list."),
    )

    # One more than allowed is read, so that too many rows get a message
    # instead of being silently cut off.
    documents = FieldList(FormField(DocumentForm), min_entries=1, max_entries=MAX_DOCUMENTS + 1)

    fee_vnd = _money(_l("Fee (VND)"))
    postage_vnd = _money(_l("Postage (VND)"))
    seal_number = _text(_l("Seal number"), 32)
    delivery_preference = RadioField(
        _l("Result delivery"),
        choices=[
            SelectChoice(DeliveryPreference.HOME.value, _l("To the home address")),
            SelectChoice(DeliveryPreference.PICKUP.value, _l("Pickup at the commune")),
        ],
        default=DeliveryPreference.HOME.value,
        invalid_choice_message=_l("Choose how the result is returned."),
        validators=[InputRequired(message=_l("Choose how the result is returned."))],
    )
    delivery_address = _long_text(
        _l("Delivery address (if not the sender's address)"), 400, required=False
    )
    note = _long_text(_l("Note"), 1000, required=False)
    label_code = _text(_l("Pre-printed label (scan it, or leave empty)"), 20, required=False)
    # Ticked after the warning that the dossier looks like one just taken in.
    save_anyway = BooleanField(_l("Save anyway"))
    # The sender's signature drawn on screen, optional: a PNG data URL.
    sender_signature = HiddenField()

    # The PNG of ``sender_signature`` once validated; None when none was drawn.
    sender_signature_png: bytes | None = None

    def validate_sender_signature(self, field: Field) -> None:
        if field.data:
            try:
                self.sender_signature_png = signature_png(field.data)
            except DomainError:
                message = _l("The signature could not be read; clear it and ask for it again.")
                raise ValidationError(message) from None

    def validate_label_code(self, field: Field) -> None:
        text = (field.data or "").strip()
        if text and not s10.is_valid(text):
            raise ValidationError(
                _l("This is not a valid tracking code; scan the label again or check its digits.")
            )

    def validate_sender_phone(self, field: Field) -> None:
        # Only checked here: the page shows the number back as it was typed;
        # the service stores it in E.164.
        try:
            parse_vn_phone(field.data or "")
        except InvalidPhone as exc:
            raise ValidationError(translated(exc)) from None

    def validate_sender_id_number(self, field: Field) -> None:
        value = id_number(field.data or "")
        if value and not re.fullmatch(r"\d{9}|\d{12}", value):
            raise ValidationError(_l("An ID number has 12 digits (or 9 for an old ID card)."))

    def validate_principal_name(self, field: Field) -> None:
        if self.authorised.data and not field.data:
            raise ValidationError(_l("Name the person who gave the authorisation."))

    def validate_seal_number(self, field: Field) -> None:
        if not re.fullmatch(r"[A-Z0-9-]{3,32}", seal_number(field.data or "")):
            raise ValidationError(_l("A seal number has 3 to 32 letters, digits or dashes."))

    def validate_procedure_code(self, field: Field) -> None:
        if not re.fullmatch(r"[\w.\-/]{1,64}", field.data or ""):
            raise ValidationError(_l("Use letters, digits, dots, dashes or slashes."))

    def validate_agency_id(self, field: Field) -> None:
        if not field.data:
            raise ValidationError(_l("Choose an agency from the list."))

    def validate_documents(self, field: Field) -> None:
        if len(field.entries) > MAX_DOCUMENTS:
            raise ValidationError(
                _l("List at most %(max)d documents in one dossier.", max=MAX_DOCUMENTS)
            )

    def document_errors(self) -> list[str]:
        """Messages about the list as a whole (not about one row)."""
        return [str(e) for e in self.documents.errors if not isinstance(e, dict)]
