from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from sqlalchemy import text
from sqlmodel import col, func, or_, select

from postal_tracker import db
from postal_tracker.auth.service import units_of
from postal_tracker.custody.models import Item
from postal_tracker.intake.views import INTAKE_ROLES
from postal_tracker.web.staff import current_staff

bp = Blueprint("pages", __name__)


@bp.get("/")
def root() -> ResponseReturnValue:
    return redirect(url_for("pages.home" if current_user.is_authenticated else "auth.login"))


@bp.get("/home")
@login_required
def home() -> ResponseReturnValue:
    session = db.session()
    user = current_staff()
    unit_ids = [u.id for u in units_of(session, user)]
    holding = session.scalar(
        select(func.count(col(Item.id))).where(
            or_(Item.custodian_user_id == user.id, col(Item.offered_to_user_id) == user.id)
        )
    )
    return render_template(
        "home.html",
        units=units_of(session, user),
        holding=holding or 0,
        can_take_in=user.role in INTAKE_ROLES,
        unit_ids=unit_ids,
    )


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    db.session().execute(text("SELECT 1"))
    return {"status": "ok"}
