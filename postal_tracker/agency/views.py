"""The agency clerk's pages: the dashboard, receipt with an appointment date,
the result, handing it to the post, and apology slips. Everything outside the
clerk's agencies answers 404, like something that does not exist."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime
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
from flask_login import login_required
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
from postal_tracker.auth.staff import current_staff
from postal_tracker.clock import VN_TZ, page_device_time
from postal_tracker.config import Settings
from postal_tracker.custody.errors import LedgerError
from postal_tracker.custody.rules import POSTAL_ROLES
from postal_tracker.errors import DomainError, NotFound
from postal_tracker.units.kinds import POSTAL_KINDS
from postal_tracker.units.models import Unit
from postal_tracker.web.refusals import show_on_form

bp = Blueprint("agency", __name__, url_prefix="/agency")

CONFLICT = _l(
    "The dossier was handed to someone else before you confirmed. Nothing moved; "
    "the item is now disputed and a supervisor has been alerted."
)


def _today() -> date:
    return datetime.now(VN_TZ).date()


def _now() -> datetime:
    return datetime.now(VN_TZ)


def _client_id(form: FlaskForm) -> str:
    """The form's idempotency key, made when the page was served."""
    try:
        return str(uuid.UUID(form.client_id.data or ""))
    except ValueError:
        return str(uuid.uuid4())


@bp.get("/")
@login_required
def dashboard() -> ResponseReturnValue:
    session = db.session()
    user = current_staff()
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
    user = current_staff()
    form = ReceiptForm()
    if request.method == "POST" and service.client_id_used(session, _client_id(form)):
        return _receipt_sent_again(session, user, item_id, form)
    item = service.incoming_item(session, user, item_id)
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
            device_time=page_device_time(form.device_time.data),
        )
    except DomainError as exc:
        show_on_form(form, exc)
        return page(exc.status)
    if receipt.answer.conflict:
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
            device_time=page_device_time(form.device_time.data),
        )
    except (NotFound, LedgerError):
        abort(404)
    except DomainError:
        pass  # the form was saved before; what it says now does not matter
    flash(_("This receipt was already recorded."), "success")
    return redirect(url_for("agency.dashboard"))


@bp.route("/dossiers/<int:dossier_id>/appointment", methods=["GET", "POST"])
@login_required
def appointment(dossier_id: int) -> ResponseReturnValue:
    session = db.session()
    user = current_staff()
    dossier, item = service.held_dossier(session, user, dossier_id)
    form = AppointmentForm()
    page = _page("agency/appointment.html", form=form, item=item, dossier=dossier)
    if request.method == "GET":
        _new_form_ids(form)
        return page(200)
    if not form.validate_on_submit():
        return page(422)
    try:
        row = service.set_appointment(session, user, dossier_id, _appointment(form), today=_today())
    except DomainError as exc:
        show_on_form(form, exc)
        return page(exc.status)
    flash(_("Appointment date: %(day)s", day=row.due_on.strftime("%d/%m/%Y")), "success")
    return redirect(url_for("agency.dashboard"))


@bp.route("/dossiers/<int:dossier_id>/result", methods=["GET", "POST"])
@login_required
def result(dossier_id: int) -> ResponseReturnValue:
    session = db.session()
    user = current_staff()
    dossier, item = service.held_dossier(session, user, dossier_id)
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
            device_time=page_device_time(form.device_time.data),
            tracking_prefix=settings.tracking_prefix,
            tracking_country=settings.tracking_country,
        )
    except DomainError as exc:
        show_on_form(form, exc)
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
    user = current_staff()
    item = service.result_item(session, user, item_id)
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
            device_time=page_device_time(form.device_time.data),
        )
    except DomainError as exc:
        show_on_form(form, exc)
        return page(exc.status)
    if answer.conflict:
        db.keep_writes_despite_error()
        form.form_errors.append(str(CONFLICT))
        return page(409)
    flash(_("Result offered to the post; it moves when they scan it."), "success")
    return redirect(url_for("agency.dashboard"))


@bp.route("/dossiers/<int:dossier_id>/apology", methods=["GET", "POST"])
@login_required
def apology(dossier_id: int) -> ResponseReturnValue:
    session = db.session()
    user = current_staff()
    dossier, item = service.held_dossier(session, user, dossier_id)
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
    except DomainError as exc:
        show_on_form(form, exc)
        return page(exc.status)
    flash(_("Apology slip issued; the citizen is notified of the new date."), "success")
    return redirect(url_for("agency.apology_slip", slip_id=slip.id))


@bp.get("/apology-slips/<int:slip_id>")
@login_required
def apology_slip(slip_id: int) -> ResponseReturnValue:
    session = db.session()
    slip = service.apology_slip_for(session, current_staff(), slip_id)
    return render_template(
        "agency/apology_slip.html", slip=slip, data=service.slip_data(session, slip)
    )


@bp.get("/apology-slips/<int:slip_id>.pdf")
@login_required
def apology_slip_pdf(slip_id: int) -> ResponseReturnValue:
    session = db.session()
    slip = service.apology_slip_for(session, current_staff(), slip_id)
    pdf = render_apology_slip(service.slip_data(session, slip))
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="phieu-xin-loi-{slip.id}.pdf"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _page(template: str, **context: Any) -> Callable[[int], ResponseReturnValue]:
    def show(status: int) -> ResponseReturnValue:
        return render_template(template, today=_today(), **context), status

    return show
