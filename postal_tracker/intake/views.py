"""Pages: take a dossier in, list the dossiers in one's scope, one dossier."""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from postal_tracker import db
from postal_tracker.auth.models import User
from postal_tracker.auth.service import units_of
from postal_tracker.auth.staff import current_staff
from postal_tracker.clock import VN_TZ, page_device_time
from postal_tracker.config import Settings
from postal_tracker.custody.actors import actor_for
from postal_tracker.custody.errors import IdempotencyMismatch
from postal_tracker.errors import DomainError
from postal_tracker.intake import queries
from postal_tracker.intake.forms import IntakeForm, id_number, seal_number
from postal_tracker.intake.models import DeliveryPreference, Dossier
from postal_tracker.intake.scope import visible_dossier
from postal_tracker.intake.service import (
    INTAKE_ROLES,
    DocumentLine,
    IntakeRecord,
    earlier_use,
    recent_twin,
    take_in,
)
from postal_tracker.phones import mask_phone, national
from postal_tracker.slips.issuing import SlipIssuer, intake_slip_of
from postal_tracker.units.service import agencies
from postal_tracker.web.refusals import show_on_form

bp = Blueprint("dossiers", __name__, url_prefix="/dossiers")


class SearchForm(FlaskForm):
    q = StringField(
        validators=[Length(max=100, message=_l("Use at most %(max)d characters.", max=100))]
    )


@bp.route("/", methods=["GET", "POST"])
@login_required
def index() -> ResponseReturnValue:
    # Search is a POST: a name or phone number must never end up in a URL.
    form = SearchForm()
    query = (form.q.data or "") if form.validate_on_submit() else ""
    rows = queries.search_dossiers(db.session(), current_staff(), query)
    return render_template(
        "dossiers/index.html", form=form, rows=rows, query=query, mask_phone=mask_phone
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new() -> ResponseReturnValue:
    user = current_staff()
    if user.role not in INTAKE_ROLES:
        abort(404)
    session = db.session()
    form = IntakeForm()
    _fill_choices(form, session, user)
    if request.method == "GET":
        form.client_id.data = str(uuid.uuid4())
        return _intake_page(form)
    if not form.validate_on_submit():
        return _intake_page(form, 422)
    client_id = _client_id(form.client_id.data)
    earlier = _earlier_use(form, session, client_id, user)
    if earlier is not None:
        return earlier
    record = _record(form)
    twin = None if form.save_anyway.data else recent_twin(session, record)
    if twin is not None:
        # Maybe the same dossier saved twice: say which, and save only when confirmed.
        show_on_form(form, twin)
        return _intake_page(form, twin.status)
    settings: Settings = current_app.config["SETTINGS"]
    try:
        with db.undone_on_error():
            dossier, item = take_in(
                session,
                actor_for(session, user, form.intake_unit_id.data),
                record,
                client_id=client_id,
                device_time=page_device_time(form.device_time.data),
                tracking_prefix=settings.tracking_prefix,
                tracking_country=settings.tracking_country,
                issuer=SlipIssuer.from_settings(settings, lang=str(get_locale())),
            )
    except DomainError as exc:
        # A taken seal may be this very form, saved meanwhile by a second tap.
        replay = _earlier_use(form, session, client_id, user) if exc.code == "seal_taken" else None
        if replay is not None:
            return replay
        show_on_form(form, exc)
        return _intake_page(form, exc.status)
    except IdempotencyMismatch:
        # The same form raced itself (two taps on PostgreSQL): this attempt's
        # rows are gone; show what the first one saved.
        return _earlier_use(form, session, client_id, user) or _intake_page(form, 422)
    flash(_("Dossier saved. Tracking code: %(code)s", code=item.tracking_code), "success")
    return redirect(url_for("dossiers.show", dossier_id=dossier.id))


def _fill_choices(form: IntakeForm, session: Session, user: User) -> None:
    form.intake_unit_id.choices = [
        SelectChoice(u.id, u.name) for u in units_of(session, user) if u.id is not None
    ]
    form.agency_id.choices = [SelectChoice(0, _("Choose the agency"))] + [
        SelectChoice(a.id, a.name) for a in agencies(session) if a.id is not None
    ]


def _intake_page(form: IntakeForm, status: int = 200) -> ResponseReturnValue:
    return render_template("dossiers/new.html", form=form), status


def _earlier_use(
    form: IntakeForm, session: Session, client_id: str, user: User
) -> ResponseReturnValue | None:
    """The answer for a form whose client id was used before, or None."""
    assert user.id is not None
    earlier = earlier_use(session, client_id, user.id)
    if earlier is None:
        return None
    if earlier.same_intake:
        # The same form sent twice (double tap, retry): show what was saved.
        return redirect(url_for("dossiers.show", dossier_id=earlier.dossier_id))
    form.form_errors.append(
        _("This form was already used for something else. Reload the page and enter it again.")
    )
    return _intake_page(form, 422)


@bp.get("/<int:dossier_id>")
@login_required
def show(dossier_id: int) -> ResponseReturnValue:
    session = db.session()
    dossier = visible_dossier(session, current_staff(), dossier_id)
    if dossier is None:
        abort(404)
    return render_template(
        "dossiers/show.html",
        dossier=dossier,
        documents=queries.documents_of(session, dossier),
        items=queries.items_of(session, dossier),
        timeline=queries.timeline(session, dossier),
        slip=intake_slip_of(db.session(), _id_of(dossier)),
        phone=national(dossier.sender_phone),
        vn_time=VN_TZ,
    )


def _id_of(dossier: Dossier) -> int:
    assert dossier.id is not None
    return dossier.id


def _record(form: IntakeForm) -> IntakeRecord:
    return IntakeRecord(
        sender_name=form.sender_name.data or "",
        sender_phone=form.sender_phone.data or "",
        sender_address=form.sender_address.data or "",
        sender_id_number=id_number(form.sender_id_number.data or ""),
        authorised=bool(form.authorised.data),
        principal_name=form.principal_name.data or "",
        procedure_code=form.procedure_code.data or "",
        procedure_name=form.procedure_name.data or "",
        procedure_field=form.procedure_field.data or "",
        agency_id=form.agency_id.data or 0,
        documents=tuple(
            DocumentLine(
                name=row.form["name"].data or "",
                originals=row.form.originals.data or 0,
                certified_copies=row.form.certified_copies.data or 0,
                photocopies=row.form.photocopies.data or 0,
                pages=row.form.pages.data or 1,
            )
            for row in form.documents
        ),
        fee_vnd=form.fee_vnd.data or 0,
        postage_vnd=form.postage_vnd.data or 0,
        seal_number=seal_number(form.seal_number.data or ""),
        delivery_preference=DeliveryPreference(form.delivery_preference.data),
        delivery_address=form.delivery_address.data or "",
        note=form.note.data or "",
        intake_unit_id=form.intake_unit_id.data or 0,
        label_code=(form.label_code.data or "").strip(),
        sender_signature_png=form.sender_signature_png,
    )


def _client_id(raw: str | None) -> str:
    try:
        return str(uuid.UUID(raw or ""))
    except ValueError:
        # An old page without a client id still saves, once.
        return str(uuid.uuid4())
