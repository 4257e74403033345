"""The scanner page, its installable-app files, the photo decoder, and the
"what I hold now" pages."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    jsonify,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required
from sqlmodel import col, select

from postal_tracker import db
from postal_tracker.auth.models import User
from postal_tracker.auth.roles import Role
from postal_tracker.auth.service import unit_ids_of
from postal_tracker.auth.staff import current_staff
from postal_tracker.custody.rules import HANDLING_ROLES, TERMINAL, Phase, receipt_kind
from postal_tracker.db import utcnow
from postal_tracker.errors import DomainError
from postal_tracker.intake.access import holdings
from postal_tracker.resources import resource
from postal_tracker.scanner.decode import decode_photo
from postal_tracker.scanner.holdings import (
    duration_text,
    longest_first,
    office_holdings,
    offices_of,
)
from postal_tracker.scanner.strings import scanner_strings
from postal_tracker.units.kinds import AREA_KINDS
from postal_tracker.units.models import Unit
from postal_tracker.web.refusals import translated

bp = Blueprint("scanner", __name__, url_prefix="/scanner")
STATIC = resource("static") / "scanner"
# The photo a phone takes; larger uploads are refused before decoding.
MAX_PHOTO_BYTES = 6 * 1024 * 1024


@bp.get("/")
@login_required
def scanner() -> ResponseReturnValue:
    session = db.session()
    user = current_staff()
    me = {
        "id": user.id,
        "username": user.username,
        "role": str(user.role),
        "unit_ids": unit_ids_of(session, user),
    }
    # What the custody rules say for this person, so that the script holds
    # no list of roles or phases of its own.
    rules = {
        "handles": user.role in HANDLING_ROLES,
        "may_report": user.role in HANDLING_ROLES | {Role.SUPERVISOR},
        "terminal": sorted(TERMINAL),
        # The kind this person confirms an item offered to them with, by phase.
        "receipt_kinds": {phase: receipt_kind(user.role, phase) for phase in Phase},
    }
    return render_template("scanner/scanner.html", me=me, strings=scanner_strings(), rules=rules)


@bp.get("/me")
@login_required
def me() -> ResponseReturnValue:
    """Who the session belongs to: a phone shared by several people sends its
    queued scans only under the session of the person who made them."""
    return jsonify(id=current_staff().id)


@bp.get("/sw.js")
def service_worker() -> ResponseReturnValue:
    # Served under /scanner/ so that its scope covers the scanner page; never
    # cached by HTTP, so a new version is picked up at the next visit.
    response = Response((STATIC / "sw.js").read_bytes(), mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = url_for("scanner.scanner")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/manifest.webmanifest")
def manifest() -> ResponseReturnValue:
    body = {
        "name": _("Postal Tracker scanner"),
        "short_name": _("Scanner"),
        "start_url": url_for("scanner.scanner"),
        "scope": url_for("scanner.scanner"),
        "display": "standalone",
        "background_color": "#f5f6f8",
        "theme_color": "#0b5cad",
        "icons": [
            {
                "src": url_for("static", filename="scanner/icon.svg"),
                "sizes": "any",
                "type": "image/svg+xml",
                "purpose": "any maskable",
            }
        ],
    }
    response = jsonify(body)
    response.mimetype = "application/manifest+json"
    return response


@bp.post("/decode")
@login_required
def decode() -> ResponseReturnValue:
    """Read the code in a photo: ``{"texts": [...]}``, or a 4xx with a message."""
    upload = request.files.get("photo")
    if upload is None:
        return _error(400, "photo", _("Send a photo of the code."))
    try:
        data = upload.read(MAX_PHOTO_BYTES + 1)
    finally:
        upload.close()  # a large upload sits in a temporary file
    if len(data) > MAX_PHOTO_BYTES:
        return _error(413, "photo", _("The photo is too large (at most 6 MB)."))
    if not data:
        return _error(400, "photo", _("Send a photo of the code."))
    try:
        texts = decode_photo(data)
    except DomainError as exc:
        return _error(exc.status, exc.field or "photo", translated(exc))
    if not texts:
        return _error(
            422, "photo", _("No code was found in the photo. Try again, closer and steadier.")
        )
    return jsonify(texts=texts)


def _error(status: int, field: str, message: str) -> ResponseReturnValue:
    body = {"code": str(status), "message": message, "fields": {field: message}}
    return jsonify(error=body), status


@bp.get("/parties")
@login_required
def parties() -> ResponseReturnValue:
    """Who an item can be handed to: offices (by code) and people (by
    username), for the handover form's suggestions."""
    session = db.session()
    units = session.scalars(
        select(Unit).where(col(Unit.active).is_(True)).order_by(col(Unit.name))
    ).all()
    people = session.scalars(
        select(User)
        .where(col(User.active).is_(True), col(User.role).in_(list(HANDLING_ROLES)))
        .order_by(col(User.username))
    ).all()
    return jsonify(
        units=[{"code": u.code, "name": u.name} for u in units if u.kind not in AREA_KINDS],
        people=[{"username": p.username, "name": p.full_name} for p in people],
    )


@bp.get("/held")
@login_required
def held() -> ResponseReturnValue:
    session = db.session()
    user = current_staff()
    now = utcnow()
    mine, offered = holdings(session, user)
    return render_template(
        "scanner/held.html",
        held=longest_first(mine, now, session),
        offered=longest_first(offered, now, session),
        offices=offices_of(session, user),
        duration_text=duration_text,
    )


@bp.get("/held/<code>")
@login_required
def office_held(code: str) -> ResponseReturnValue:
    session = db.session()
    unit = next((u for u in offices_of(session, current_staff()) if u.code == code), None)
    if unit is None:
        abort(404)  # not one's office, or no such office: the same answer
    now = utcnow()
    held_items, offered = office_holdings(session, unit)
    return render_template(
        "scanner/office_held.html",
        unit=unit,
        held=longest_first(held_items, now, session),
        offered=longest_first(offered, now, session),
        duration_text=duration_text,
    )
