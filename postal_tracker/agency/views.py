"""The agency clerk's pages: the dashboard, receipt with an appointment date,
the result, handing it to the post, and apology slips. Everything outside the
clerk's agencies answers 404, like something that does not exist."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from sqlmodel import col, select
from wtforms.fields.choices import SelectChoice

from postal_tracker import db
from postal_tracker.agency import queries, service
from postal_tracker.agency.apology_slip import render_apology_slip
from postal_tracker.agency.dates import AppointmentRequest
from postal_tracker.agency.forms import (
    BY_DAYS,
    ApologyForm,
    AppointmentForm,
    OfferForm,
    ReceiptForm,
    ResultForm,
)
from postal_tracker.agency.models import ResultKind
from postal_tracker.auth.models import User
from postal_tracker.config import Settings
from postal_tracker.custody.errors import LedgerError
from postal_tracker.custody.ledger import MAX_CLOCK_AHEAD
from postal_tracker.custody.rules import POSTAL_ROLES
from postal_tracker.units.kinds import POSTAL_KINDS
from postal_tracker.units.models import Unit
from postal_tracker.workdays import VN_TZ

bp = Blueprint("agency", __name__, url_prefix="/agency")
MAX_PAGE_AGE = timedelta(hours=12)

# What the service refuses, by (field, code), in the user's language.
MESSAGES: dict[tuple[str, str], Any] = {
    ("working_days", "range"): _l("Enter a whole number of working days from 1 to 250."),
    ("working_days", "missing"): _l("Choose how to set the appointment date."),
    ("working_days", "not_future"): _l(
        "Counted from the day of receipt, this date has passed; choose a later date."
    ),
    ("due_on", "not_future"): _l("The appointment date must be after today."),
    ("due_on", "not_working_day"): _l(
        "This is a weekend day or a public holiday; choose a working day."
    ),
    ("new_date", "not_future"): _l("The new date must be after today."),
    ("new_date", "not_after_old"): _l("The new date must be after the previous appointment date."),
    ("new_date", "not_working_day"): _l(
        "This is a weekend day or a public holiday; choose a working day."
    ),
    ("signed_on", "future"): _l("The date signed cannot be in the future."),
    ("document_number", "required"): _l("This field is required."),
    ("signer", "required"): _l("This field is required."),
    ("reason", "required"): _l("This field is required."),
    ("reason", "too_long"): _l("Use at most %(max)d characters.", max=service.MAX_REASON),
    ("receiver", "not_postal"): _l("Choose a postal worker or post office from the list."),
    ("dossier", "not_at_agency"): _l("This dossier is not at your agency."),
    ("dossier", "result_exists"): _l("The result of this dossier was already recorded."),
    ("dossier", "appointment_exists"): _l(
        "This dossier already has an appointment date; a new date needs an apology slip."
    ),
    ("dossier", "no_appointment"): _l("Set the appointment date first."),
}
CONFLICT = _l(
    "The dossier was handed to someone else before you confirmed. Nothing moved; "
    "the item is now disputed and a supervisor has been alerted."
)


def _user() -> User:
    user: User = current_user._get_current_object()
    return user


def _today() -> date:
    return datetime.now(VN_TZ).date()


def _now() -> datetime:
    return datetime.now(VN_TZ)


def _device_time(form: FlaskForm) -> datetime:
    """When the page was served (kept in the form, so that the same form sent
    twice is the same scan to the ledger); now if it is missing or odd."""
    try:
        value = datetime.fromisoformat(form.device_time.data or "")
    except ValueError:
        return _now()
    now = _now()
    # A page left open for days must not backdate a receipt (and its appointment).
    if value.tzinfo is None or not now - MAX_PAGE_AGE <= value <= now + MAX_CLOCK_AHEAD:
        return now
    return value


def _client_id(form: FlaskForm) -> str:
    """The form's idempotency key, made when the page was served."""
    try:
        return str(uuid.UUID(form.client_id.data or ""))
    except ValueError:
        return str(uuid.uuid4())


def _refused(form: FlaskForm, exc: service.AgencyError) -> None:
    message = str(MESSAGES.get((exc.field, exc.code), _("This cannot be saved.")))
    field = getattr(form, exc.field, None)
    if field is not None and exc.field != "dossier":
        field.errors = [*field.errors, message]
    else:
        form.form_errors.append(message)


def _ledger_refused(form: FlaskForm, exc: LedgerError) -> None:
    form.form_errors.append(_("The custody record refused this: %(reason)s", reason=exc.message))


def _found(get: Callable[[], Any]) -> Any:
    try:
        return get()
    except service.NotFound:
        abort(404)


@bp.get("/")
@login_required
def dashboard() -> ResponseReturnValue:
    session = db.session()
    user = _user()
    if not queries.agency_ids(session, user):
        abort(404)
    return render_template(
        "agency/dashboard.html", board=queries.dashboard(session, user, _today()), today=_today()
    )


def _appointment(form: ReceiptForm | AppointmentForm) -> AppointmentRequest:
    if form.mode.data == BY_DAYS:
        return AppointmentRequest(working_days=form.working_days.data)
    return AppointmentRequest(due_on=form.due_on.data)


def _new_form_ids(form: FlaskForm) -> None:
    form.client_id.data = str(uuid.uuid4())
    form.device_time.data = _now().isoformat()


@bp.route("/incoming/<int:item_id>/receive", methods=["GET", "POST"])
@login_required
def receive(item_id: int) -> ResponseReturnValue:
    session = db.session()
    user = _user()
    form = ReceiptForm()
    if request.method == "POST" and service.client_id_used(session, _client_id(form)):
        return _receipt_sent_again(session, user, item_id, form)
    item = _found(lambda: service.incoming_item(session, user, item_id))
    dossier = queries.clerk_dossier(session, user, item.dossier_id)
    page = _page("agency/receive.html", form=form, item=item, dossier=dossier)
    if request.method == "GET":
        _new_form_ids(form)
        form.follows.data = str(item.offer_event_id)
        return page(200)
    if not form.validate_on_submit():
        return page(422)
    try:
        receipt = service.receive(
            session,
            user,
            item_id,
            _appointment(form),
            follows=int(form.follows.data or 0),
            client_id=_client_id(form),
            device_time=_device_time(form),
        )
    except service.AgencyError as exc:
        _refused(form, exc)
        return page(422)
    except LedgerError as exc:
        _ledger_refused(form, exc)
        return page(exc.status)
    if receipt.answer.status == 409:
        # The conflicting scan is evidence: keep it although the answer is an error.
        db.keep_writes_despite_error()
        form.form_errors.append(str(CONFLICT))
        return page(409)
    if receipt.appointment is None:
        flash(_("This receipt was already recorded."), "success")
    else:
        flash(
            _(
                "Receipt confirmed. Appointment date: %(day)s",
                day=receipt.appointment.due_on.strftime("%d/%m/%Y"),
            ),
            "success",
        )
    return redirect(url_for("agency.dashboard"))


def _receipt_sent_again(
    session: Session, user: User, item_id: int, form: ReceiptForm
) -> ResponseReturnValue:
    """The same receipt form sent twice (a double tap): the first answer stands."""
    try:
        service.receive(
            session,
            user,
            item_id,
            _appointment(form),
            follows=int(form.follows.data or 0),
            client_id=_client_id(form),
            device_time=_device_time(form),
        )
    except (service.NotFound, LedgerError):
        abort(404)
    except service.AgencyError:
        pass  # the form was saved before; what it says now does not matter
    flash(_("This receipt was already recorded."), "success")
    return redirect(url_for("agency.dashboard"))


@bp.route("/dossiers/<int:dossier_id>/appointment", methods=["GET", "POST"])
@login_required
def appointment(dossier_id: int) -> ResponseReturnValue:
    session = db.session()
    user = _user()
    dossier, item = _found(lambda: service.held_dossier(session, user, dossier_id))
    form = AppointmentForm()
    page = _page("agency/appointment.html", form=form, item=item, dossier=dossier)
    if request.method == "GET":
        _new_form_ids(form)
        return page(200)
    if not form.validate_on_submit():
        return page(422)
    try:
        row = service.set_appointment(session, user, dossier_id, _appointment(form), today=_today())
    except service.AgencyError as exc:
        _refused(form, exc)
        return page(422)
    flash(_("Appointment date: %(day)s", day=row.due_on.strftime("%d/%m/%Y")), "success")
    return redirect(url_for("agency.dashboard"))


@bp.route("/dossiers/<int:dossier_id>/result", methods=["GET", "POST"])
@login_required
def result(dossier_id: int) -> ResponseReturnValue:
    session = db.session()
    user = _user()
    dossier, item = _found(lambda: service.held_dossier(session, user, dossier_id))
    form = ResultForm()
    page = _page("agency/result.html", form=form, item=item, dossier=dossier)
    if request.method == "GET":
        _new_form_ids(form)
        form.signed_on.data = _today()
        return page(200)
    if not form.validate_on_submit():
        return page(422)
    settings: Settings = current_app.config["SETTINGS"]
    try:
        _recorded, result_item = service.record_result(
            session,
            user,
            dossier_id,
            service.ResultDetails(
                kind=ResultKind(form.kind.data),
                document_number=form.document_number.data or "",
                signer=form.signer.data or "",
                signed_on=form.signed_on.data or _today(),
            ),
            client_id=_client_id(form),
            device_time=_device_time(form),
            tracking_prefix=settings.tracking_prefix,
            tracking_country=settings.tracking_country,
        )
    except service.AgencyError as exc:
        _refused(form, exc)
        return page(422)
    except LedgerError as exc:
        # The same form sent twice: the first one saved the result.
        _ledger_refused(form, exc)
        return page(exc.status)
    flash(_("Result recorded. Tracking code: %(code)s", code=result_item.tracking_code), "success")
    return redirect(url_for("agency.dashboard"))


def _receiver_choices(session: Session) -> list[SelectChoice]:
    people = session.scalars(
        select(User)
        .where(col(User.role).in_(list(POSTAL_ROLES)), col(User.active).is_(True))
        .order_by(col(User.full_name))
    )
    offices = session.scalars(
        select(Unit)
        .where(col(Unit.kind).in_(list(POSTAL_KINDS)), col(Unit.active).is_(True))
        .order_by(col(Unit.name))
    )
    return (
        [SelectChoice("", _("Choose who collects the result"))]
        + [SelectChoice(f"user:{u.id}", u.full_name) for u in people]
        + [SelectChoice(f"unit:{u.id}", u.name) for u in offices]
    )


def _receiver(value: str) -> service.Receiver:
    kind, _sep, raw = value.partition(":")
    number = int(raw) if raw.isdigit() else 0
    return service.Receiver(number if kind == "user" else None, number if kind == "unit" else None)


@bp.route("/results/<int:item_id>/offer", methods=["GET", "POST"])
@login_required
def offer(item_id: int) -> ResponseReturnValue:
    session = db.session()
    user = _user()
    item = _found(lambda: service.result_item(session, user, item_id))
    dossier = queries.clerk_dossier(session, user, item.dossier_id)
    form = OfferForm()
    form.receiver.choices = _receiver_choices(session)
    page = _page("agency/offer.html", form=form, item=item, dossier=dossier)
    if request.method == "GET":
        _new_form_ids(form)
        form.follows.data = str(item.head_event_id)
        return page(200)
    if not form.validate_on_submit():
        return page(422)
    try:
        answer = service.offer_result(
            session,
            user,
            item_id,
            _receiver(form.receiver.data or ""),
            follows=int(form.follows.data) if (form.follows.data or "").isdigit() else None,
            client_id=_client_id(form),
            device_time=_device_time(form),
        )
    except service.AgencyError as exc:
        _refused(form, exc)
        return page(422)
    except LedgerError as exc:
        _ledger_refused(form, exc)
        return page(exc.status)
    if answer.status == 409:
        db.keep_writes_despite_error()
        form.form_errors.append(str(CONFLICT))
        return page(409)
    flash(_("Result offered to the post; it moves when they scan it."), "success")
    return redirect(url_for("agency.dashboard"))


@bp.route("/dossiers/<int:dossier_id>/apology", methods=["GET", "POST"])
@login_required
def apology(dossier_id: int) -> ResponseReturnValue:
    session = db.session()
    user = _user()
    dossier, item = _found(lambda: service.held_dossier(session, user, dossier_id))
    current = queries.current_appointment(session, dossier_id)
    form = ApologyForm()
    page = _page("agency/apology.html", form=form, item=item, dossier=dossier, current=current)
    if request.method == "GET":
        return page(200)
    if not form.validate_on_submit():
        return page(422)
    try:
        slip = service.issue_apology(
            session,
            user,
            dossier_id,
            reason=form.reason.data or "",
            new_date=form.new_date.data or _today(),
            today=_today(),
        )
    except service.AgencyError as exc:
        _refused(form, exc)
        return page(422)
    flash(_("Apology slip issued; the citizen is notified of the new date."), "success")
    return redirect(url_for("agency.apology_slip", slip_id=slip.id))


@bp.get("/apology-slips/<int:slip_id>")
@login_required
def apology_slip(slip_id: int) -> ResponseReturnValue:
    session = db.session()
    slip = _found(lambda: service.apology_slip_for(session, _user(), slip_id))
    return render_template(
        "agency/apology_slip.html", slip=slip, data=service.slip_data(session, slip)
    )


@bp.get("/apology-slips/<int:slip_id>.pdf")
@login_required
def apology_slip_pdf(slip_id: int) -> ResponseReturnValue:
    session = db.session()
    slip = _found(lambda: service.apology_slip_for(session, _user(), slip_id))
    pdf = render_apology_slip(service.slip_data(session, slip))
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="phieu-xin-loi-{slip.id}.pdf"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _page(template: str, **context: Any) -> Callable[[int], ResponseReturnValue]:
    def show(status: int) -> ResponseReturnValue:
        return render_template(template, today=_today(), **context), status

    return show
