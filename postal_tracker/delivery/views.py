"""Delivery pages for staff: routes (supervisors), the run list on a phone
and as a PDF, starting the run, proof of delivery, a failed attempt, the
delivery slip (postal workers), and results offered back (agency clerks)."""

from __future__ import annotations

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
from flask_login import login_required
from sqlmodel import col, select
from wtforms.fields.choices import SelectChoice

from postal_tracker import db, proof_images
from postal_tracker.auth.models import User
from postal_tracker.auth.roles import Role
from postal_tracker.auth.staff import current_staff
from postal_tracker.clock import VN_TZ
from postal_tracker.config import Settings
from postal_tracker.custody.models import CustodyEvent, Item
from postal_tracker.delivery import queries, routes, routes_csv, service
from postal_tracker.delivery.forms import (
    ACTION_LABELS,
    REASON_LABELS,
    RELATION_LABELS,
    WEEKDAY_LABELS,
    ActionForm,
    FailureForm,
    ImportForm,
    ProofForm,
    RouteForm,
)
from postal_tracker.delivery.models import (
    Delivery,
    DeliveryStatus,
    FailureAction,
    FailureReason,
    Relation,
)
from postal_tracker.delivery.run_list_pdf import SlipData, render_delivery_slip, render_run_list
from postal_tracker.errors import REQUIRED, DomainError, NotFound
from postal_tracker.intake.models import Dossier
from postal_tracker.units.kinds import UnitKind
from postal_tracker.units.models import Unit
from postal_tracker.web.refusals import show_on_form

bp = Blueprint("delivery", __name__, url_prefix="/delivery")
ROUTE_KEEPERS = frozenset({Role.SUPERVISOR, Role.ADMIN})


def _settings() -> Settings:
    s: Settings = current_app.config["SETTINGS"]
    return s


def _today() -> date:
    return datetime.now(VN_TZ).date()


def _need(*roles: Role) -> User:
    user = current_staff()
    if user.role not in roles:
        abort(404)
    return user


def _day(raw: str | None) -> date:
    try:
        return date.fromisoformat(raw or "")
    except ValueError:
        return _today()


# -- routes -----------------------------------------------------------------


@bp.route("/routes", methods=["GET", "POST"])
@login_required
def route_list() -> ResponseReturnValue:
    _need(*ROUTE_KEEPERS)
    session = db.session()
    form = RouteForm()
    _route_choices(form)
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            raw = routes.RouteInput(
                worker=form.worker.data or "",
                commune=form.commune.data or "",
                weekdays=" ".join(request.form.getlist("day")),
                window_start=form.window_start.data or "",
                window_end=form.window_end.data or "",
                daily_capacity=form.daily_capacity.data or "",
                post_point=form.post_point.data or "",
            )
            try:
                routes.save_route(session, routes.check_route(session, raw))
            except DomainError as exc:
                show_on_form(form, exc)
            else:
                flash(_("Route saved."), "success")
                return redirect(url_for("delivery.route_list"))
        status = 422
    return render_template(
        "delivery/routes.html",
        form=form,
        import_form=ImportForm(),
        rows=routes.list_routes(session),
        weekdays=WEEKDAY_LABELS,
        chosen_days=request.form.getlist("day"),
        report=None,
    ), status


def _route_choices(form: RouteForm) -> None:
    session = db.session()
    workers = session.scalars(
        select(User)
        .where(User.role == Role.POSTAL_WORKER, col(User.active).is_(True))
        .order_by(col(User.full_name))
    ).all()
    units = session.scalars(
        select(Unit).where(col(Unit.active).is_(True)).order_by(col(Unit.name))
    ).all()
    form.worker.choices = [
        SelectChoice(u.username, f"{u.full_name} ({u.username})") for u in workers
    ]
    form.commune.choices = [
        SelectChoice(u.code, u.name) for u in units if u.kind is UnitKind.COMMUNE
    ]
    form.post_point.choices = [SelectChoice("", _("None"))] + [
        SelectChoice(u.code, u.name)
        for u in units
        if u.kind in (UnitKind.POST_POINT, UnitKind.POST_OFFICE, UnitKind.COMMUNE_OFFICE)
    ]


@bp.post("/routes/import")
@login_required
def route_import() -> ResponseReturnValue:
    _need(*ROUTE_KEEPERS)
    session = db.session()
    form = ImportForm()
    route_form = RouteForm(formdata=None)
    _route_choices(route_form)
    report: routes_csv.ImportReport | None = None
    if not form.validate_on_submit() or not form.file.data:
        form.file.errors = [_("Choose a CSV file.")]
        status = 422
    else:
        raw = _read_upload(form.file.data, routes_csv.MAX_BYTES + 1) or b""
        report = routes_csv.import_routes(session, raw)
        if report.ok:
            flash(_("%(count)d routes imported.", count=report.saved), "success")
            return redirect(url_for("delivery.route_list"))
        status = 422
    return render_template(
        "delivery/routes.html",
        form=route_form,
        import_form=form,
        rows=routes.list_routes(session),
        weekdays=WEEKDAY_LABELS,
        chosen_days=[],
        report=report,
    ), status


@bp.post("/routes/<int:route_id>/active")
@login_required
def route_active(route_id: int) -> ResponseReturnValue:
    _need(*ROUTE_KEEPERS)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    if routes.set_active(db.session(), route_id, request.form.get("active") == "1") is None:
        abort(404)
    return redirect(url_for("delivery.route_list"))


# -- the run ------------------------------------------------------------------


@bp.get("/run")
@login_required
def run() -> ResponseReturnValue:
    user = _need(Role.POSTAL_WORKER)
    day = _day(request.args.get("day"))
    stops = queries.run_stops(db.session(), user, day)
    form = ActionForm(formdata=None, day=day.isoformat())
    return render_template(
        "delivery/run.html", stops=stops, day=day, form=form, today=_today(), timedelta=timedelta
    )


@bp.get("/run.pdf")
@login_required
def run_pdf() -> ResponseReturnValue:
    user = _need(Role.POSTAL_WORKER)
    day = _day(request.args.get("day"))
    pdf = render_run_list(user.full_name, day, queries.run_stops(db.session(), user, day))
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="run-{day.isoformat()}.pdf"'},
    )


@bp.post("/run/start")
@login_required
def start() -> ResponseReturnValue:
    user = _need(Role.POSTAL_WORKER)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    day = _day(form.day.data)
    if day != _today():
        flash(_("A run can only be started on its own day."), "error")
        return redirect(url_for("delivery.run", day=day.isoformat()))
    try:
        with db.undone_on_error() as session:
            started = service.start_run(session, user, day, _settings())
    except DomainError:
        flash(_("The run could not be started; reload and try again."), "error")
        return redirect(url_for("delivery.run", day=day.isoformat()))
    flash(
        _(
            "Run started: %(out)d out for delivery, %(held)d left for pickup.",
            out=len(started.out),
            held=len(started.held),
        ),
        "success",
    )
    if started.not_in_hand:
        flash(
            _(
                "%(count)d items are not in your hands yet and stay scheduled.",
                count=len(started.not_in_hand),
            ),
            "error",
        )
    return redirect(url_for("delivery.run", day=day.isoformat()))


def _stop_or_404(delivery_id: int, user: User) -> queries.Stop:
    stop = queries.stop_of(db.session(), user, delivery_id)
    if stop is None:
        abort(404)
    return stop


@bp.route("/<int:delivery_id>/proof", methods=["GET", "POST"])
@login_required
def proof(delivery_id: int) -> ResponseReturnValue:
    user = _need(Role.POSTAL_WORKER)
    session = db.session()
    stop = _stop_or_404(delivery_id, user)
    form = ProofForm()
    delivery = session.get(Delivery, delivery_id)
    dossier = session.get(Dossier, delivery.dossier_id) if delivery else None
    page = _page(
        "delivery/proof.html",
        form=form,
        stop=stop,
        needs_id=bool(dossier and dossier.sender_id_number),
    )
    if request.method == "GET":
        return page(200)
    if not form.validate_on_submit():
        return page(422)
    try:
        relation = Relation(form.relation.data)
    except ValueError:
        show_on_form(form, DomainError(REQUIRED, field="relation"))
        return page(422)
    photo = _read_upload(form.photo.data, proof_images.MAX_PHOTO_BYTES + 1)
    try:
        service.record_delivery(
            session,
            user,
            delivery_id,
            service.Proof(
                recipient_name=form.recipient_name.data or "",
                relation=relation,
                authorisation_ref=form.authorisation_ref.data or "",
                id_last_digits=form.id_last_digits.data or "",
                signature_data_url=form.signature.data or "",
                photo=photo,
                originals_returned=bool(form.originals_returned.data),
                originals_note=form.originals_note.data or "",
            ),
            _settings(),
        )
    except NotFound:
        abort(404)
    except DomainError as exc:
        show_on_form(form, exc)
        return page(exc.status)
    flash(_("Delivered. The delivery slip is ready."), "success")
    return redirect(url_for("delivery.run", day=_today().isoformat()))


@bp.route("/<int:delivery_id>/failed", methods=["GET", "POST"])
@login_required
def failed(delivery_id: int) -> ResponseReturnValue:
    user = _need(Role.POSTAL_WORKER)
    stop = _stop_or_404(delivery_id, user)
    form = FailureForm()
    page = _page("delivery/failed.html", form=form, stop=stop)
    if request.method == "GET":
        return page(200)
    if not form.validate_on_submit():
        return page(422)
    try:
        reason = FailureReason(form.reason.data)
    except ValueError:
        show_on_form(form, DomainError(REQUIRED, field="reason"))
    try:
        action = FailureAction(form.action.data)
    except ValueError:
        show_on_form(form, DomainError(REQUIRED, field="action"))
    if form.form_errors or form.reason.errors or form.action.errors:
        return page(422)
    try:
        outcome = service.record_failure(
            db.session(),
            user,
            delivery_id,
            reason,
            action,
            form.note.data or "",
            _today(),
            _settings(),
        )
    except NotFound:
        abort(404)
    except DomainError as exc:
        show_on_form(form, exc)
        return page(exc.status)
    if outcome.next_attempt is not None:
        flash(
            _(
                "Failed attempt recorded. Next attempt: %(day)s.",
                day=outcome.next_attempt.scheduled_on.strftime("%d/%m/%Y"),
            ),
            "success",
        )
    else:
        flash(_("Failed attempt recorded. The result is now held for pickup."), "success")
    return redirect(url_for("delivery.run", day=_today().isoformat()))


@bp.get("/<int:delivery_id>/slip.pdf")
@login_required
def slip(delivery_id: int) -> ResponseReturnValue:
    user = current_staff()
    session = db.session()
    delivery = session.get(Delivery, delivery_id)
    if delivery is None or delivery.status is not DeliveryStatus.DELIVERED:
        abort(404)
    if delivery.worker_user_id != user.id and user.role not in ROUTE_KEEPERS:
        abort(404)
    item = session.get(Item, delivery.item_id)
    dossier = session.get(Dossier, delivery.dossier_id)
    event = session.get(CustodyEvent, delivery.outcome_event_id)
    worker = session.get(User, delivery.worker_user_id)
    assert item and dossier and event and delivery.relation
    signature = proof_images.path_of(
        service.proof_folder(_settings()), delivery.signature_sha256, ".png"
    )
    pdf = render_delivery_slip(
        SlipData(
            delivery_id=delivery_id,
            tracking_code=item.tracking_code,
            procedure=dossier.procedure_name,
            recipient_name=delivery.recipient_name,
            relation=str(RELATION_LABELS[delivery.relation]),
            authorisation_ref=delivery.authorisation_ref,
            id_checked=delivery.id_checked,
            originals_returned=delivery.originals_returned,
            originals_note=delivery.originals_note,
            worker_name=worker.full_name if worker else "",
            delivered_at=event.device_time.astimezone(VN_TZ),
            signature_sha256=delivery.signature_sha256,
            photo_sha256=delivery.photo_sha256,
            signature_png=signature.read_bytes() if signature.exists() else None,
        )
    )
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="delivery-{delivery_id}.pdf"'},
    )


# -- returns to the agency ------------------------------------------------------


@bp.get("/returns")
@login_required
def returns() -> ResponseReturnValue:
    user = _need(Role.AGENCY_CLERK)
    rows = service.returns_for(db.session(), user)
    return render_template("delivery/returns.html", rows=rows, form=ActionForm(formdata=None))


@bp.post("/<int:delivery_id>/return")
@login_required
def confirm_return(delivery_id: int) -> ResponseReturnValue:
    user = _need(Role.AGENCY_CLERK)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        with db.undone_on_error() as session:
            service.confirm_return(session, user, delivery_id)
    except NotFound:
        abort(404)
    except DomainError:
        flash(_("This result moved meanwhile; nothing was recorded."), "error")
        return redirect(url_for("delivery.returns"))
    flash(_("Result taken back by the agency."), "success")
    return redirect(url_for("delivery.returns"))


def _read_upload(upload: Any, limit: int) -> bytes | None:
    """At most ``limit`` bytes of an uploaded file, closing it (a large upload
    is a temporary file that would otherwise stay open until collected)."""
    if upload is None or not getattr(upload, "filename", ""):
        return None
    try:
        data: bytes = upload.read(limit)
    finally:
        upload.close()
    return data


def _page(template: str, **context: Any) -> Callable[[int], ResponseReturnValue]:
    def page(status: int) -> ResponseReturnValue:
        return render_template(
            template,
            reasons=REASON_LABELS,
            actions=ACTION_LABELS,
            **context,
        ), status

    return page
