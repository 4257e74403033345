"""Delivery forms. The checks live in the services (one checker for the page
and the CSV import); these forms carry the values and the CSRF token, and
:data:`MESSAGES` turns a service's (field, code) into words for the user."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from postal_tracker.delivery.models import FailureAction, FailureReason, Relation

_LONG = Length(max=500, message=_l("Use at most %(max)d characters.", max=500))
_SHORT = Length(max=200, message=_l("Use at most %(max)d characters.", max=200))

WEEKDAY_LABELS = (
    _l("Monday"),
    _l("Tuesday"),
    _l("Wednesday"),
    _l("Thursday"),
    _l("Friday"),
    _l("Saturday"),
    _l("Sunday"),
)

REASON_LABELS = {
    FailureReason.NOT_HOME: _l("Nobody at home"),
    FailureReason.WRONG_ADDRESS: _l("Wrong address"),
    FailureReason.REFUSED: _l("Refused by the recipient"),
    FailureReason.MOVED: _l("Recipient has moved"),
    FailureReason.UNREACHABLE: _l("Could not reach the address or the citizen"),
    FailureReason.OTHER: _l("Other (say what in the note)"),
}
ACTION_LABELS = {
    FailureAction.NOTICE_LEFT: _l("Left a notice card"),
    FailureAction.CALLED: _l("Phoned the citizen"),
    FailureAction.NEIGHBOUR_TOLD: _l("Told a neighbour"),
    FailureAction.RETURN_TO_POST_POINT: _l("Took it back to the post point"),
}
RELATION_LABELS = {
    Relation.SELF: _l("The citizen in person"),
    Relation.FAMILY: _l("A family member"),
    Relation.AUTHORISED: _l("Someone authorised by letter"),
}

# (field, code) from the services -> message. A code alone for the image checks.
MESSAGES: dict[str, LazyString] = {
    "required": _l("This field is required."),
    "too_long": _l("This is too long."),
    "mismatch": _l("These are not the last 4 digits of the ID number on the dossier."),
    "id_last_digits.required": _l("Enter the last 4 digits of the recipient's ID number."),
    "authorisation_ref.required": _l("Enter the number or date of the authorisation letter."),
    "note.required": _l("Say what happened in the note."),
    "not_out": _l("This delivery is not on a run now; reload the run list."),
    "not_scheduled": _l("This delivery can no longer be changed."),
    "moved": _l("This item changed hands meanwhile; nothing was recorded."),
    "signature_missing": _l("Ask the recipient to sign in the box."),
    "signature_invalid": _l("The signature could not be read; ask the recipient to sign again."),
    "signature_empty": _l("The signature box is empty; ask the recipient to sign."),
    "photo_too_large": _l("The photo is larger than 5 MB; take a smaller one."),
    "photo_not_image": _l("The photo must be a JPEG or PNG picture."),
    "not_postal_worker": _l("Choose an active postal worker."),
    "not_commune": _l("Choose a commune (use its unit code)."),
    "weekdays.invalid": _l("Write weekdays as Mon Tue ... Sun, T2 ... CN, or 0 to 6."),
    "weekdays.required": _l("Choose at least one weekday."),
    "invalid": _l("Write a time as HH:MM, e.g. 08:00."),
    "before_start": _l("The window must end after it starts."),
    "daily_capacity.invalid": _l("Enter a whole number."),
    "range": _l("Enter a number from 1 to 500."),
    "not_in_commune": _l("The post point must be an office in that commune."),
    "duplicate": _l("This worker and commune appear twice in the file."),
    "differs": _l("This worker's daily capacity differs from an earlier row."),
    "missing_column": _l("This column is missing from the header."),
    "too_large": _l("The file is larger than 1 MB."),
    "not_utf8": _l("Save the file as CSV UTF-8."),
    "not_csv": _l("This is not a readable CSV file."),
    "too_many_rows": _l("Too many rows; split the file."),
    "extra_columns": _l("This row has more values than the header."),
    "empty": _l("The file has no rows."),
    "past": _l("Choose a day after today."),
    "not_working_day": _l("That day is a weekend or a public holiday."),
    "not_route_day": _l("The postal worker does not serve your commune that day."),
    "full": _l("That day is full; choose another."),
}


def message(field: str, code: str) -> LazyString:
    return MESSAGES.get(f"{field}.{code}") or MESSAGES.get(code) or _l("Check this field.")


class RouteForm(FlaskForm):
    worker = SelectField(_l("Postal worker"), choices=[], validate_choice=False)
    commune = SelectField(_l("Commune"), choices=[], validate_choice=False)
    weekdays = StringField(_l("Weekdays"), validators=[_SHORT])
    window_start = StringField(_l("From"), default="08:00", validators=[_SHORT])
    window_end = StringField(_l("To"), default="11:30", validators=[_SHORT])
    daily_capacity = StringField(
        _l("Deliveries per day (all communes)"), default="30", validators=[_SHORT]
    )
    post_point = SelectField(_l("Post point for pickups"), choices=[], validate_choice=False)


class ImportForm(FlaskForm):
    file = FileField(_l("CSV file"))


class ActionForm(FlaskForm):
    """A button: only the CSRF token (and a day for the run)."""

    day = HiddenField()


class ProofForm(FlaskForm):
    recipient_name = StringField(_l("Recipient's full name"), validators=[_SHORT])
    relation = RadioField(
        _l("Recipient is"),
        choices=[SelectChoice(k.value, v) for k, v in RELATION_LABELS.items()],
        default=Relation.SELF.value,
        validate_choice=False,
    )
    authorisation_ref = StringField(_l("Authorisation letter (number, date)"), validators=[_SHORT])
    id_last_digits = StringField(
        _l("Last 4 digits of the ID number"), render_kw={"inputmode": "numeric", "maxlength": "4"}
    )
    signature = HiddenField()
    photo = FileField(
        _l("Photo (optional, JPEG or PNG, at most 5 MB)"),
        render_kw={"accept": "image/jpeg,image/png", "capture": "environment"},
    )
    originals_returned = BooleanField(_l("Originals taken back from the citizen"))
    originals_note = TextAreaField(_l("Which originals"), validators=[_LONG])


class FailureForm(FlaskForm):
    reason = RadioField(
        _l("Why it could not be delivered"),
        choices=[SelectChoice(k.value, v) for k, v in REASON_LABELS.items()],
        validate_choice=False,
    )
    action = RadioField(
        _l("What you did"),
        choices=[SelectChoice(k.value, v) for k, v in ACTION_LABELS.items()],
        validate_choice=False,
    )
    note = TextAreaField(_l("Note"), validators=[_LONG])


class DayForm(FlaskForm):
    day = SelectField(_l("Another day"), choices=[], validate_choice=False)
