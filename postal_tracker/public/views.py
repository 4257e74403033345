"""The citizen's tracking page: a form (GET) and the lookup (POST), so the
code and the phone digits never appear in a URL, a log line or a history."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField

from postal_tracker import db
from postal_tracker.extensions import limiter
from postal_tracker.public.tracking import lookup

bp = Blueprint("public", __name__)

LOOKUP_LIMIT = "10 per minute"


class TrackForm(FlaskForm):
    # No per-field validation message: a malformed code must get the same
    # answer as an unknown one.
    code = StringField(_l("Tracking code"))
    phone_digits = StringField(_l("Last 4 digits of your phone number"))


@bp.get("/track")
def track() -> ResponseReturnValue:
    return render_template("public/track.html", form=TrackForm(formdata=None), timeline=None)


@bp.post("/track")
@limiter.limit(LOOKUP_LIMIT)
def track_lookup() -> ResponseReturnValue:
    form = TrackForm()
    timeline = None
    if form.validate_on_submit():
        timeline = lookup(db.session(), form.code.data or "", form.phone_digits.data or "")
    # Never echo what was typed: the answer to every miss is the same bytes.
    blank = TrackForm(formdata=None)
    if timeline is None:
        return render_template("public/track.html", form=blank, timeline=None, missed=True)
    return render_template("public/track.html", form=blank, timeline=timeline)
