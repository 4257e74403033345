"""Delivery forms. The checks live in the services (one checker for the page
and the CSV import); these forms carry the values and the CSRF token. The
services' refusals carry their own message ids (see ``web/refusals``)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
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
