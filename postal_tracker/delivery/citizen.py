"""The citizen's page behind the link in a delivery notice: ``/c/<token>``.

No login: the signed, expiring token is the key, and it holds only the
delivery id. The page shows the tracking code, the day and window and
masked details, and lets the citizen confirm, choose another route day, or
choose pickup instead. An altered link answers 404 and an expired one 400,
each with a page that says what to do, never a stack trace.
"""

from __future__ import annotations

from datetime import date, datetime

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlmodel import col, select

from postal_tracker import db
from postal_tracker.clock import VN_TZ
from postal_tracker.config import Settings
from postal_tracker.custody.errors import LedgerError
from postal_tracker.custody.models import Item
from postal_tracker.delivery import planner, scheduling, service
from postal_tracker.delivery.forms import ActionForm, DayForm
from postal_tracker.delivery.links import LinkExpired, LinkInvalid, read_token
from postal_tracker.delivery.models import Delivery, DeliveryStatus
from postal_tracker.errors import DomainError
from postal_tracker.extensions import limiter
from postal_tracker.intake.models import Dossier
from postal_tracker.masking import mask_name, mask_phone
from postal_tracker.units.models import Unit
from postal_tracker.web.refusals import show_on_form, translated

bp = Blueprint("citizen", __name__, url_prefix="/c")
# Guessing tokens is hopeless (they are signed), but a limit keeps scanners cheap.
LIMIT = "30 per minute"


def _settings() -> Settings:
    s: Settings = current_app.config["SETTINGS"]
    return s


def _today() -> date:
    return datetime.now(VN_TZ).date()


def _delivery(token: str) -> Delivery:
    """The item's current delivery for a genuine token; aborts otherwise."""
    settings = _settings()
    # LinkExpired and LinkInvalid propagate to the handlers below.
    delivery_id = read_token(
        settings.secret_key, token, max_age_seconds=settings.delivery_link_days * 86400
    )
    session = db.session()
    first = session.get(Delivery, delivery_id)
    if first is None:
        raise LinkInvalid
    # The citizen may have moved it since: show what stands now.
    latest = session.scalars(
        select(Delivery).where(Delivery.item_id == first.item_id).order_by(col(Delivery.id).desc())
    ).first()
    return latest or first


@bp.errorhandler(LinkExpired)
def link_expired(_exc: LinkExpired) -> ResponseReturnValue:
    return render_template("delivery/citizen_link.html", expired=True), 400


@bp.errorhandler(LinkInvalid)
def link_invalid(_exc: LinkInvalid) -> ResponseReturnValue:
    return render_template("delivery/citizen_link.html", expired=False), 404


@bp.get("/<token>")
@limiter.limit(LIMIT)
def show(token: str) -> ResponseReturnValue:
    return _page(token, DayForm(formdata=None))


def _page(token: str, day_form: DayForm, status: int = 200) -> ResponseReturnValue:
    session = db.session()
    delivery = _delivery(token)
    item = session.get(Item, delivery.item_id)
    dossier = session.get(Dossier, delivery.dossier_id)
    assert item is not None and dossier is not None
    place = session.get(Unit, delivery.post_point_id or delivery.commune_id)
    changeable = delivery.status is DeliveryStatus.SCHEDULED
    days = scheduling.choice_days(session, delivery, _today()) if changeable else []
    day_form.day.choices = [(d.isoformat(), d.strftime("%d/%m/%Y")) for d in days]
    return render_template(
        "delivery/citizen.html",
        token=token,
        delivery=delivery,
        tracking_code=item.tracking_code,
        name=mask_name(dossier.sender_name),
        phone=mask_phone(dossier.sender_phone),
        place=place,
        changeable=changeable,
        day_form=day_form,
        form=ActionForm(formdata=None),
    ), status


@bp.post("/<token>/confirm")
@limiter.limit(LIMIT)
def confirm(token: str) -> ResponseReturnValue:
    delivery = _delivery(token)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        service.citizen_confirm(db.session(), delivery)
    except DomainError as exc:
        flash(translated(exc), "error")
        return redirect(url_for("citizen.show", token=token))
    flash(_("Thank you: the delivery day is confirmed."), "success")
    return redirect(url_for("citizen.show", token=token))


@bp.post("/<token>/day")
@limiter.limit(LIMIT)
def choose_day(token: str) -> ResponseReturnValue:
    return _move(token, pickup=False)


@bp.post("/<token>/pickup")
@limiter.limit(LIMIT)
def choose_pickup(token: str) -> ResponseReturnValue:
    return _move(token, pickup=True)


def _move(token: str, *, pickup: bool) -> ResponseReturnValue:
    delivery = _delivery(token)
    form = DayForm()
    if not form.validate_on_submit():
        abort(400)
    raw = form.day.data or ""
    try:
        day = date.fromisoformat(raw) if raw else delivery.scheduled_on
    except ValueError:
        show_on_form(form, planner.slot_refused("not_route_day"))
        return _page(token, form, 422)
    try:
        if pickup and not raw and day <= _today():
            raise planner.slot_refused("past")
        with db.undone_on_error() as session:
            service.citizen_move(session, delivery, day, _today(), _settings(), pickup=pickup)
    except LedgerError:
        # The custody record refused the change: the result moved on meanwhile.
        flash(_("This delivery can no longer be changed."), "error")
        return redirect(url_for("citizen.show", token=token))
    except DomainError as exc:
        if exc.field == "day":
            show_on_form(form, exc)
            return _page(token, form, exc.status)
        flash(translated(exc), "error")
        return redirect(url_for("citizen.show", token=token))
    if pickup:
        flash(
            _("You will collect the result at the post point; we will tell you when it is there."),
            "success",
        )
    else:
        flash(_("The delivery day is changed; a new notice is on its way."), "success")
    return redirect(url_for("citizen.show", token=token))
