"""The supervisor's alerts page: open alerts in their region, newest first,
each with a form to resolve it with a note. Everyone else gets 404."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from postal_tracker import db
from postal_tracker.auth.staff import current_staff
from postal_tracker.custody.models import Alert
from postal_tracker.errors import DomainError
from postal_tracker.watch import alerts
from postal_tracker.watch.alerts import NOTE_MAX
from postal_tracker.web.refusals import show_on_form

bp = Blueprint("watch", __name__, url_prefix="/alerts")

KIND_LABELS = {
    "custody_stalled": _l("Custody has not moved"),
    "offer_unconfirmed": _l("Handover not confirmed"),
    "past_appointment": _l("Past the appointment date"),
    "not_in_office": _l("Items not back in an office"),
    "job_failed": _l("Scheduled job failed"),
    "notice_failed": _l("Notice not delivered"),
    "custody_conflict": _l("Conflicting scan"),
    "delivery_return": _l("Result returned to the agency"),
    "manifest_missing": _l("Missing from a bag"),
    "manifest_extra": _l("Extra item in a bag"),
}


# Parameters that are codes, shown in words.
PARAM_TEXT = {
    "reason": {
        "offer_superseded": _l("a newer handover offer replaced the one confirmed"),
        "moved_meanwhile": _l("the item moved meanwhile"),
    },
    "medium": {"sms": _l("SMS"), "email": _l("email")},
}


def alert_text(alert: Alert) -> str:
    """The alert's text in the reader's language; an alert raised before
    message ids were kept shows the text it stored."""
    if alert.message_id is None:
        return alert.message
    params = {
        name: str(PARAM_TEXT.get(name, {}).get(value, value))
        for name, value in (alert.params or {}).items()
    }
    return str(_(alert.message_id, **params))


class ResolveForm(FlaskForm):
    note = TextAreaField(
        _l("What was done"),
        validators=[
            DataRequired(message=_l("Say what was done.")),
            Length(max=NOTE_MAX, message=_l("At most %(max)d characters.")),
        ],
    )


def _page(form: ResolveForm | None = None, failed_id: int | None = None) -> str:
    session = db.session()
    return render_template(
        "watch/alerts.html",
        rows=alerts.open_alerts(session, current_staff()),
        kind_labels=KIND_LABELS,
        alert_text=alert_text,
        form=form or ResolveForm(formdata=None),
        failed_id=failed_id,
    )


@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    if not alerts.may_see_alerts(db.session(), current_staff()):
        abort(404)
    return _page()


@bp.post("/<int:alert_id>/resolve")
@login_required
def resolve(alert_id: int) -> ResponseReturnValue:
    session = db.session()
    if not alerts.may_see_alerts(session, current_staff()):
        abort(404)
    form = ResolveForm()
    if not form.validate_on_submit():
        return _page(form, alert_id), 400
    try:
        alert = alerts.resolve(session, current_staff(), alert_id, form.note.data or "")
    except DomainError as exc:
        show_on_form(form, exc)
        return _page(form, alert_id), 400
    if alert is None:
        abort(404)
    flash(_("Alert resolved."), "success")
    return redirect(url_for("watch.index"))
