"""Pages: my manifests, build one, offer it, print its slip, scan it in, and
see its reconciliation. Manifests outside one's part answer 404."""

from __future__ import annotations

import uuid

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
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import login_required
from sqlmodel import col, select
from wtforms.fields.choices import SelectChoice

from postal_tracker import db
from postal_tracker.auth.models import User
from postal_tracker.auth.service import units_of
from postal_tracker.auth.staff import current_staff
from postal_tracker.clock import page_device_time
from postal_tracker.config import Settings
from postal_tracker.custody.errors import IdempotencyMismatch
from postal_tracker.custody.rules import HANDLING_ROLES
from postal_tracker.errors import DomainError
from postal_tracker.manifests import service
from postal_tracker.manifests.forms import (
    ItemForm,
    NewManifestForm,
    OfferForm,
    ReceiveForm,
)
from postal_tracker.manifests.models import Manifest, ManifestStatus
from postal_tracker.manifests.service import REFERENCE, Reconciliation
from postal_tracker.slips.issuing import SlipIssuer, copy_of
from postal_tracker.slips.models import IssuedSlip
from postal_tracker.units.kinds import AREA_KINDS
from postal_tracker.units.models import Unit
from postal_tracker.web.refusals import translated

bp = Blueprint("manifests", __name__, url_prefix="/manifests")


def _visible(reference: str) -> Manifest:
    if not REFERENCE.fullmatch(reference.strip().upper()):
        abort(404)
    manifest = service.visible_manifest(db.session(), current_staff(), reference)
    if manifest is None:
        abort(404)
    return manifest


def _message(exc: DomainError) -> str:
    if isinstance(exc, IdempotencyMismatch):
        return str(_("This form was already sent with other content; nothing was recorded."))
    return translated(exc)


def _fresh_id() -> str:
    return uuid.uuid4().hex


@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    session = db.session()
    user = current_staff()
    giving, incoming = service.manifests_of(session, user)
    form = NewManifestForm()
    form.client_id.data = _fresh_id()
    form.unit_id.choices = [SelectChoice(u.id, u.name) for u in units_of(session, user)]
    return render_template(
        "manifests/index.html",
        giving=giving,
        incoming=incoming,
        form=form,
        can_give=user.role in HANDLING_ROLES,
    )


@bp.post("/new")
@login_required
def new() -> ResponseReturnValue:
    user = current_staff()
    if user.role not in HANDLING_ROLES:
        abort(404)
    form = NewManifestForm()
    if not form.validate_on_submit() or not form.client_id.data:
        flash(_("The form expired; please try again."), "error")
        return redirect(url_for("manifests.index"))
    try:
        manifest = service.create_manifest(
            db.session(),
            user,
            client_id=form.client_id.data[:64],
            unit_id=form.unit_id.data or None,
            note=form.note.data or "",
        )
    except DomainError as exc:
        flash(_message(exc), "error")
        return redirect(url_for("manifests.index"))
    return redirect(url_for("manifests.show", reference=manifest.reference))


def _offer_form(form: OfferForm | None = None) -> OfferForm:
    session = db.session()
    form = form or OfferForm(formdata=None)
    if not form.client_id.data:
        form.client_id.data = _fresh_id()
    offices = session.scalars(
        select(Unit)
        .where(col(Unit.active).is_(True), col(Unit.kind).not_in(list(AREA_KINDS)))
        .order_by(col(Unit.name))
    ).all()
    form.receiver_unit.choices = [SelectChoice("", _("— no office —"))] + [
        SelectChoice(u.code, u.name) for u in offices
    ]
    return form


def _show(
    manifest: Manifest,
    *,
    item_form: ItemForm | None = None,
    offer_form: OfferForm | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    session = db.session()
    user = current_staff()
    item_form = item_form or ItemForm(formdata=None)
    return (
        render_template(
            "manifests/show.html",
            manifest=manifest,
            lines=service.listed_items(session, manifest),
            checks=service.checks_of(session, manifest),
            parties=_parties(manifest),
            is_giver=manifest.giver_user_id == user.id,
            is_receiver=service.is_receiver(session, user, manifest),
            item_form=item_form,
            offer_form=_offer_form(offer_form),
            Status=ManifestStatus,
        ),
        status,
    )


def _parties(manifest: Manifest) -> dict[str, str]:
    session = db.session()

    def name(user_id: int | None, unit_id: int | None) -> str:
        person = session.get(User, user_id) if user_id else None
        unit = session.get(Unit, unit_id) if unit_id else None
        return " · ".join(
            x for x in (person.full_name if person else "", unit.name if unit else "") if x
        )

    return {
        "giver": name(manifest.giver_user_id, manifest.giver_unit_id),
        "receiver": name(manifest.receiver_user_id, manifest.receiver_unit_id),
    }


@bp.get("/<reference>")
@login_required
def show(reference: str) -> ResponseReturnValue:
    return _show(_visible(reference))


@bp.post("/<reference>/items")
@login_required
def add_item(reference: str) -> ResponseReturnValue:
    manifest = _visible(reference)
    form = ItemForm()
    if not form.validate_on_submit():
        return _show(manifest, item_form=form, status=422)
    try:
        service.add_item(db.session(), current_staff(), manifest, form.code.data or "")
    except DomainError as exc:
        form.code.errors = [_message(exc)]
        return _show(manifest, item_form=form, status=exc.status)
    flash(_("Added %(code)s.", code=(form.code.data or "").strip().upper()), "success")
    return redirect(url_for("manifests.show", reference=manifest.reference))


@bp.post("/<reference>/items/remove")
@login_required
def remove_item(reference: str) -> ResponseReturnValue:
    manifest = _visible(reference)
    form = ItemForm()
    if form.validate_on_submit():
        try:
            service.remove_item(db.session(), current_staff(), manifest, form.code.data or "")
            flash(_("Removed %(code)s.", code=(form.code.data or "").strip().upper()), "success")
        except DomainError as exc:
            flash(_message(exc), "error")
            return _show(manifest, status=exc.status)
    return redirect(url_for("manifests.show", reference=manifest.reference))


@bp.post("/<reference>/offer")
@login_required
def offer(reference: str) -> ResponseReturnValue:
    manifest = _visible(reference)
    form = _offer_form(OfferForm())
    if not form.validate_on_submit() or not form.client_id.data:
        return _show(manifest, offer_form=form, status=422)
    try:
        with db.undone_on_error() as session:
            receiver = service.find_receiver(
                session, form.receiver_username.data or "", form.receiver_unit.data or ""
            )
            service.offer_manifest(
                session,
                current_staff(),
                manifest,
                receiver,
                client_id=form.client_id.data[:64],
                device_time=page_device_time(form.device_time.data),
                issuer=SlipIssuer.from_settings(
                    current_app.config["SETTINGS"], lang=str(get_locale())
                ),
            )
    except DomainError as exc:
        manifest = _visible(reference)
        field = getattr(exc, "field", None)
        target = form.receiver_unit if field == "receiver_unit" else form.receiver_username
        target.errors = [_message(exc)]
        return _show(manifest, offer_form=form, status=422)
    flash(_("Handed over. Print the slip for both to sign."), "success")
    return redirect(url_for("manifests.show", reference=manifest.reference))


@bp.get("/<reference>/slip.pdf")
@login_required
def slip(reference: str) -> ResponseReturnValue:
    """The slip as issued at the offer: the same bytes at every print."""
    return _pdf(reference, _issued_slip(reference))


@bp.post("/<reference>/copy")
@login_required
def make_copy(reference: str) -> ResponseReturnValue:
    """A reprint, marked as a copy ("BẢN SAO"): drawn once, then the same bytes."""
    settings: Settings = current_app.config["SETTINGS"]
    copy_of(db.session(), SlipIssuer.from_settings(settings), _issued_slip(reference))
    return redirect(url_for("manifests.slip_copy", reference=reference))


@bp.get("/<reference>/copy.pdf")
@login_required
def slip_copy(reference: str) -> ResponseReturnValue:
    original = _issued_slip(reference)
    copy = db.session().scalars(select(IssuedSlip).where(IssuedSlip.copy_of_id == original.id))
    return _pdf(reference, copy.first() or abort(404))


def _issued_slip(reference: str) -> IssuedSlip:
    manifest = _visible(reference)
    slip = db.session().get(IssuedSlip, manifest.slip_id) if manifest.slip_id else None
    if slip is None:  # an open bag has no slip yet
        abort(404)
    return slip


def _pdf(reference: str, slip: IssuedSlip) -> ResponseReturnValue:
    name = f"{reference}-copy.pdf" if slip.copy_of_id else f"{reference}.pdf"
    response = Response(slip.pdf, mimetype="application/pdf")
    response.set_etag(slip.sha256)
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    return response


@bp.route("/<reference>/receive", methods=["GET", "POST"])
@login_required
def receive(reference: str) -> ResponseReturnValue:
    manifest = _visible(reference)
    session = db.session()
    user = current_staff()
    if manifest.status is ManifestStatus.RECEIVED:
        return redirect(url_for("manifests.show", reference=manifest.reference))
    if manifest.status is not ManifestStatus.OFFERED or not service.is_receiver(
        session, user, manifest
    ):
        abort(404)
    form = ReceiveForm()
    if request.method == "GET" or not form.validate_on_submit():
        if request.method == "GET":
            form = ReceiveForm(formdata=None)
            form.client_id.data = _fresh_id()
        return _receive_page(manifest, form, 200 if request.method == "GET" else 422)
    texts = (form.codes.data or "").split()
    try:
        with db.undone_on_error():
            codes = service.parse_codes(texts)
            result = service.receive_manifest(
                session,
                user,
                manifest,
                codes,
                client_id=(form.client_id.data or _fresh_id())[:64],
                device_time=page_device_time(form.device_time.data),
            )
    except DomainError as exc:
        form.codes.errors = [_message(exc) + _which(exc, texts)]
        return _receive_page(_visible(reference), form, 422)
    return _result_page(manifest, result)


def _which(exc: DomainError, texts: list[str]) -> str:
    """The code a per-code error is about, so the person can find it."""
    field = exc.field or ""
    if field.startswith("codes."):
        return f" ({texts[int(field.split('.')[1])]})"
    return ""


def _receive_page(manifest: Manifest, form: ReceiveForm, status: int) -> ResponseReturnValue:
    lines = service.listed_items(db.session(), manifest)
    return (
        render_template(
            "manifests/receive.html",
            manifest=manifest,
            form=form,
            listed=[item.tracking_code for _, item in lines],
            parties=_parties(manifest),
        ),
        status,
    )


def _result_page(manifest: Manifest, result: Reconciliation) -> ResponseReturnValue:
    return render_template(
        "manifests/result.html", manifest=manifest, result=result, parties=_parties(manifest)
    )
