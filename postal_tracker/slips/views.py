"""Slip pages: public verification of a slip's QR, the published keys, and
printing a slip (the original, or a marked copy) for those who may see it."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from sqlmodel import select

from postal_tracker import db
from postal_tracker.auth.scope import visible_dossier
from postal_tracker.config import Settings
from postal_tracker.custody.models import Item
from postal_tracker.extensions import limiter
from postal_tracker.intake.models import Dossier
from postal_tracker.masking import mask_name, mask_phone
from postal_tracker.slips.issuing import SlipIssuer, copy_of, current_keyring
from postal_tracker.slips.models import IssuedSlip
from postal_tracker.slips.token import InvalidToken, VerifiedSlip, token_from_scan
from postal_tracker.units.models import Unit
from postal_tracker.web.staff import current_staff

bp = Blueprint("slips", __name__)
api_bp = Blueprint("slips_api", __name__, url_prefix="/api/v1")

# Short, plain reasons; the page shows them under "not genuine".
REASONS = {
    "malformed": _l("The code is incomplete or damaged."),
    "unsupported_version": _l("The code was made by an unknown version of the system."),
    "unknown_key": _l("The code was not signed by a key of this system."),
    "bad_signature": _l("The code has been altered or forged."),
    "outside_key_validity": _l("The code was signed with a key outside its validity."),
}


def _issuer() -> SlipIssuer:
    settings: Settings = current_app.config["SETTINGS"]
    return SlipIssuer.from_settings(settings)


def _verify(token: str) -> VerifiedSlip:
    return current_keyring(_issuer().keys_dir).verify(token_from_scan(token))


def _public_facts(verified: VerifiedSlip) -> dict[str, Any]:
    session = db.session()
    facts: dict[str, Any] = {"tracking_code": verified.tracking_code, "known": False}
    slip = session.get(IssuedSlip, verified.slip_id)
    item = session.scalars(select(Item).where(Item.tracking_code == verified.tracking_code)).first()
    if slip is None or slip.tracking_code != verified.tracking_code:
        return facts
    facts["known"] = True
    facts["kind"] = slip.kind
    if slip.kind == "handover":
        # A handover record: its printed reference (a bag's, or the item's
        # code) and how many items it lists, none of them personal.
        facts["reference"] = str(slip.payload.get("reference", ""))
        facts["items"] = len(slip.payload.get("items", ()))
    if item is not None:
        facts["phase"] = str(item.phase)
        facts["disputed"] = item.disputed
    dossier = session.get(Dossier, slip.dossier_id) if slip.dossier_id else None
    if dossier is not None:
        agency = session.get(Unit, dossier.agency_id)
        facts.update(
            sender=mask_name(dossier.sender_name),
            phone=mask_phone(dossier.sender_phone),
            procedure=dossier.procedure_name,
            agency=agency.name if agency else "",
            taken_in=dossier.created_at,
        )
    return facts


@bp.get("/v/<token>")
@bp.get("/V/<token>")
@limiter.limit("30 per minute")
def verify_page(token: str) -> ResponseReturnValue:
    try:
        verified = _verify(token)
    except InvalidToken as exc:
        return render_template(
            "slips/verify.html", genuine=False, reason=REASONS.get(exc.reason, REASONS["malformed"])
        )
    return render_template(
        "slips/verify.html", genuine=True, slip=verified, facts=_public_facts(verified)
    )


@api_bp.get("/keys")
def published_keys() -> ResponseReturnValue:
    response = jsonify(current_keyring(_issuer().keys_dir).public_keys_json())
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response


@api_bp.get("/slips/verify/<token>")
@limiter.limit("60 per minute")
def verify_api(token: str) -> ResponseReturnValue:
    try:
        verified = _verify(token)
    except InvalidToken as exc:
        return jsonify(
            genuine=False,
            error={
                "code": "not_genuine",
                "reason": exc.reason,
                "message": str(REASONS.get(exc.reason, REASONS["malformed"])),
            },
        ), 422
    facts = _public_facts(verified)
    return jsonify(
        genuine=True,
        tracking_code=verified.tracking_code,
        slip_id=verified.slip_id,
        issued_at=verified.issued_at.isoformat(),
        key_id=verified.key_id,
        known=facts["known"],
        phase=facts.get("phase"),
    )


def _slip_in_scope(slip_id: int) -> IssuedSlip:
    slip = db.session().get(IssuedSlip, slip_id)
    if slip is None or slip.dossier_id is None:
        abort(404)
    if visible_dossier(db.session(), current_staff(), slip.dossier_id) is None:
        abort(404)
    return slip


@bp.get("/slips/<int:slip_id>.pdf")
@login_required
def slip_pdf(slip_id: int) -> ResponseReturnValue:
    slip = _slip_in_scope(slip_id)
    response = Response(slip.pdf, mimetype="application/pdf")
    response.set_etag(slip.sha256)
    response.headers["Content-Disposition"] = f'inline; filename="slip-{slip.id}.pdf"'
    return response


@bp.post("/slips/<int:slip_id>/copy")
@login_required
def slip_copy(slip_id: int) -> ResponseReturnValue:
    original = _slip_in_scope(slip_id)
    copy = copy_of(db.session(), _issuer(), original)
    return redirect(url_for("slips.slip_pdf", slip_id=copy.id))


def intake_slip_of(dossier_id: int) -> IssuedSlip | None:
    return (
        db.session()
        .scalars(
            select(IssuedSlip).where(
                IssuedSlip.dossier_id == dossier_id,
                IssuedSlip.kind == "intake",
                IssuedSlip.copy_of_id.is_(None),  # type: ignore[union-attr]
            )
        )
        .first()
    )
