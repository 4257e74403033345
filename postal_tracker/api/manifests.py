"""JSON API for manifests, under /api/v1/manifests (same authentication and
error shape as the rest of the API: ``{"error": {"code", "message", "fields"}}``).

Every write carries a client id; a retry with the same id and content gets
the first answer again (200), the same id with other content 422.
"""

from __future__ import annotations

from typing import Annotated, Any

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue
from pydantic import Field

from postal_tracker import db
from postal_tracker.api.schemas import DeviceTime, Strict
from postal_tracker.api.views import ApiError, api_error, api_user, domain_error, parse_body
from postal_tracker.auth.models import User
from postal_tracker.auth.service import units_of
from postal_tracker.errors import DomainError
from postal_tracker.extensions import csrf
from postal_tracker.manifests import service
from postal_tracker.manifests.models import Manifest
from postal_tracker.manifests.service import REFERENCE
from postal_tracker.slips.issuing import SlipIssuer

bp = Blueprint("manifests_api", __name__, url_prefix="/api/v1/manifests")
csrf.exempt(bp)  # api_user() checks the CSRF token of browser sessions itself

ClientId = Annotated[str, Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
# Text without control characters (PostgreSQL refuses NUL in text outright).
_PLAIN = r"^[^\x00-\x1f\x7f]*$"
Code = Annotated[str, Field(min_length=1, max_length=40, pattern=_PLAIN)]


class ManifestCreate(Strict):
    client_id: ClientId
    unit_code: Annotated[str | None, Field(default=None, max_length=32, pattern=_PLAIN)]
    note: Annotated[str, Field(default="", max_length=500, pattern=_PLAIN)]


class ManifestItemAdd(Strict):
    tracking_code: Code


class ManifestOffer(Strict):
    client_id: ClientId
    device_time: DeviceTime
    receiver_username: Annotated[str, Field(default="", max_length=64, pattern=_PLAIN)]
    receiver_unit_code: Annotated[str, Field(default="", max_length=32, pattern=_PLAIN)]


class ManifestReceipt(Strict):
    client_id: ClientId
    device_time: DeviceTime
    codes: Annotated[list[Code], Field(max_length=service.MAX_ITEMS * 2)]


REQUEST_MODELS = (ManifestCreate, ManifestItemAdd, ManifestOffer, ManifestReceipt)


bp.register_error_handler(ApiError, api_error)
bp.register_error_handler(DomainError, domain_error)


def _visible(user: User, reference: str) -> Manifest:
    manifest = None
    if REFERENCE.fullmatch(reference.strip().upper()):
        manifest = service.visible_manifest(db.session(), user, reference)
    if manifest is None:
        raise ApiError(404, "not_found", "No such manifest in your area of work.")
    return manifest


def manifest_json(manifest: Manifest) -> dict[str, Any]:
    session = db.session()
    body: dict[str, Any] = {
        "reference": manifest.reference,
        "status": str(manifest.status),
        "giver_user_id": manifest.giver_user_id,
        "giver_unit_id": manifest.giver_unit_id,
        "receiver_user_id": manifest.receiver_user_id,
        "receiver_unit_id": manifest.receiver_unit_id,
        "created_at": manifest.created_at.isoformat(),
        "offered_at": manifest.offered_at.isoformat() if manifest.offered_at else None,
        "received_at": manifest.received_at.isoformat() if manifest.received_at else None,
        "items": [
            {"tracking_code": item.tracking_code, "offer_event_id": line.offer_event_id}
            for line, item in service.listed_items(session, manifest)
        ],
    }
    checks = service.checks_of(session, manifest)
    if checks:
        body["reconciliation"] = {
            "lines": [{"tracking_code": c.tracking_code, "outcome": str(c.outcome)} for c in checks]
        }
    return body


@bp.get("")
def list_manifests() -> ResponseReturnValue:
    giving, incoming = service.manifests_of(db.session(), api_user())
    return jsonify(
        giving=[manifest_json(m) for m in giving], incoming=[manifest_json(m) for m in incoming]
    )


@bp.post("")
def create_manifest() -> ResponseReturnValue:
    user = api_user()
    body: ManifestCreate = parse_body(ManifestCreate)
    session = db.session()
    unit_id = None
    if body.unit_code:
        unit_id = next((u.id for u in units_of(session, user) if u.code == body.unit_code), None)
        if unit_id is None:
            raise ApiError(
                422, "invalid", "Choose one of your offices.", {"unit_code": "not your office"}
            )
    existed = service.manifest_by_create_id(session, body.client_id)
    manifest = service.create_manifest(
        session, user, client_id=body.client_id, unit_id=unit_id, note=body.note
    )
    return jsonify(manifest_json(manifest)), 200 if existed else 201


@bp.get("/<reference>")
def get_manifest(reference: str) -> ResponseReturnValue:
    return jsonify(manifest_json(_visible(api_user(), reference)))


@bp.post("/<reference>/items")
def add_item(reference: str) -> ResponseReturnValue:
    user = api_user()
    manifest = _visible(user, reference)
    body: ManifestItemAdd = parse_body(ManifestItemAdd)
    service.add_item(db.session(), user, manifest, body.tracking_code)
    return jsonify(manifest_json(manifest)), 200


@bp.delete("/<reference>/items/<code>")
def remove_item(reference: str, code: str) -> ResponseReturnValue:
    user = api_user()
    manifest = _visible(user, reference)
    service.remove_item(db.session(), user, manifest, code)
    return jsonify(manifest_json(manifest)), 200


@bp.post("/<reference>/offer")
def offer(reference: str) -> ResponseReturnValue:
    user = api_user()
    manifest = _visible(user, reference)
    body: ManifestOffer = parse_body(ManifestOffer)
    session = db.session()
    replay = manifest.offer_client_id == body.client_id
    receiver = service.find_receiver(session, body.receiver_username, body.receiver_unit_code)
    service.offer_manifest(
        session,
        user,
        manifest,
        receiver,
        client_id=body.client_id,
        device_time=body.device_time,
        issuer=SlipIssuer.from_settings(current_app.config["SETTINGS"], lang=user.locale),
    )
    return jsonify(manifest_json(manifest)), 200 if replay else 201


@bp.post("/<reference>/receipt")
def receipt(reference: str) -> ResponseReturnValue:
    user = api_user()
    manifest = _visible(user, reference)
    body: ManifestReceipt = parse_body(ManifestReceipt)
    codes = service.parse_codes(body.codes)
    result = service.receive_manifest(
        db.session(), user, manifest, codes, client_id=body.client_id, device_time=body.device_time
    )
    response = jsonify(result.as_json())
    response.status_code = 200 if result.replayed else 201
    if result.replayed:
        response.headers["Idempotent-Replay"] = "true"
    return response


def openapi_paths() -> dict[str, Any]:
    """This blueprint's part of the OpenAPI document (api/openapi.py merges it)."""

    def body(model: type[Strict]) -> dict[str, Any]:
        ref = {"$ref": f"#/components/schemas/{model.__name__}"}
        return {"required": True, "content": {"application/json": {"schema": ref}}}

    def errors(*codes: int) -> dict[str, Any]:
        ref = {"$ref": "#/components/schemas/Error"}
        return {
            str(c): {"description": "error", "content": {"application/json": {"schema": ref}}}
            for c in codes
        }

    secured: list[dict[str, list[str]]] = [{"bearer": []}, {"session": []}]
    ref_param = {"name": "reference", "in": "path", "required": True, "schema": {"type": "string"}}
    code_param = {"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}

    def op(summary: str, op_id: str, ok: dict[str, Any], *err: int, **extra: Any) -> Any:
        return {
            "summary": summary,
            "operationId": op_id,
            "security": secured,
            "responses": {**ok, **errors(401, *err)},
            **extra,
        }

    done = {"200": {"description": "the manifest"}}
    return {
        "/api/v1/manifests": {
            "get": op("My manifests: given and incoming", "listManifests", done),
            "post": op(
                "Start a manifest (a retry with the same client_id gets it again)",
                "createManifest",
                {"201": {"description": "created"}, **done},
                400,
                403,
                422,
                requestBody=body(ManifestCreate),
            ),
        },
        "/api/v1/manifests/{reference}": {
            "get": op(
                "A manifest and its reconciliation",
                "getManifest",
                done,
                404,
                parameters=[ref_param],
            )
        },
        "/api/v1/manifests/{reference}/items": {
            "post": op(
                "Add an item the giver holds",
                "addManifestItem",
                done,
                400,
                403,
                404,
                409,
                422,
                parameters=[ref_param],
                requestBody=body(ManifestItemAdd),
            )
        },
        "/api/v1/manifests/{reference}/items/{code}": {
            "delete": op(
                "Take an item out before the offer",
                "removeManifestItem",
                done,
                403,
                404,
                409,
                422,
                parameters=[ref_param, code_param],
            )
        },
        "/api/v1/manifests/{reference}/offer": {
            "post": op(
                "Offer every item to the receiver, in one transaction",
                "offerManifest",
                {"201": {"description": "offered"}, **done},
                400,
                403,
                404,
                409,
                422,
                parameters=[ref_param],
                requestBody=body(ManifestOffer),
            )
        },
        "/api/v1/manifests/{reference}/receipt": {
            "post": op(
                "The receiver's scans: confirmed, missing, extra and conflict lists",
                "receiveManifest",
                {
                    "201": {"description": "reconciled"},
                    "200": {"description": "a retry: the first answer again"},
                },
                400,
                403,
                404,
                409,
                422,
                parameters=[ref_param],
                requestBody=body(ManifestReceipt),
            )
        },
    }
