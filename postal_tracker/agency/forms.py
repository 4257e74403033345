"""The agency's forms, each field with its own message in the user's language
(WTForms ships no Vietnamese messages, so every validator carries one)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from postal_tracker.agency.dates import MAX_WORKING_DAYS
from postal_tracker.agency.models import ResultKind
from postal_tracker.agency.service import MAX_REASON
from postal_tracker.intake.forms import clean_text

_REQUIRED = _l("This field is required.")
_DATE = _l("Enter a date as dd/mm/yyyy.")
DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]  # the date picker's, and what people type
BY_DAYS, BY_DATE = "days", "date"


def _max_length(limit: int) -> Length:
    return Length(max=limit, message=_l("Use at most %(max)d characters.", max=limit))


class _AppointmentFields(FlaskForm):
    client_id = HiddenField()
    device_time = HiddenField()
    mode = RadioField(
        _l("Appointment date"),
        choices=[
            SelectChoice(BY_DAYS, _l("A number of working days from receipt")),
            SelectChoice(BY_DATE, _l("A date")),
        ],
        default=BY_DAYS,
        invalid_choice_message=_l("Choose how to set the appointment date."),
        validators=[InputRequired(message=_l("Choose how to set the appointment date."))],
    )
    working_days = IntegerField(
        _l("Working days"),
        invalid_value_message=_l(
            "Enter a whole number of working days from 1 to %(max)d.", max=MAX_WORKING_DAYS
        ),
    )
    due_on = DateField(_l("Appointment date"), format=DATE_FORMATS, invalid_value_message=_DATE)

    def validate_working_days(self, field: Any) -> None:
        if self.mode.data != BY_DAYS:
            field.errors = []
            return
        if field.data is None or not 1 <= field.data <= MAX_WORKING_DAYS:
            raise ValidationError(
                _l("Enter a whole number of working days from 1 to %(max)d.", max=MAX_WORKING_DAYS)
            )

    def validate_due_on(self, field: Any) -> None:
        if self.mode.data != BY_DATE:
            field.errors = []
            return
        if field.data is None:
            raise ValidationError(_DATE)


class ReceiptForm(_AppointmentFields):
    follows = HiddenField()


class AppointmentForm(_AppointmentFields):
    pass


class ResultForm(FlaskForm):
    client_id = HiddenField()
    device_time = HiddenField()
    kind = SelectField(
        _l("Kind of result"),
        choices=[
            SelectChoice(ResultKind.PERMIT.value, _l("Permit")),
            SelectChoice(ResultKind.DECISION.value, _l("Decision")),
            SelectChoice(ResultKind.REPLY.value, _l("Written reply")),
            SelectChoice(ResultKind.REFUSAL.value, _l("Refusal with reasons")),
        ],
        invalid_choice_message=_l("Choose the kind of result."),
    )
    document_number = StringField(
        _l("Document number"),
        filters=[clean_text],
        validators=[DataRequired(message=_REQUIRED), _max_length(64)],
    )
    signer = StringField(
        _l("Signed by"),
        filters=[clean_text],
        validators=[DataRequired(message=_REQUIRED), _max_length(200)],
    )
    signed_on = DateField(
        _l("Date signed"),
        format=DATE_FORMATS,
        invalid_value_message=_DATE,
        validators=[InputRequired(message=_DATE)],
    )


class OfferForm(FlaskForm):
    client_id = HiddenField()
    device_time = HiddenField()
    follows = HiddenField()
    receiver = SelectField(
        _l("Hand over to"),
        invalid_choice_message=_l("Choose a postal worker or post office from the list."),
        validators=[
            DataRequired(message=_l("Choose a postal worker or post office from the list."))
        ],
    )


class ApologyForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason for the delay"),
        filters=[clean_text],
        validators=[DataRequired(message=_REQUIRED), _max_length(MAX_REASON)],
    )
    new_date = DateField(
        _l("New appointment date"),
        format=DATE_FORMATS,
        invalid_value_message=_DATE,
        validators=[InputRequired(message=_DATE)],
    )
