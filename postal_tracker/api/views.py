"""JSON API v1: device tokens, scans, what I hold, an item's timeline.

Authentication: ``Authorization: Bearer <token>`` (devices), or the browser's
session with an ``X-CSRFToken`` header (the scanner page). Every write carries
a client-generated ``client_id`` and is idempotent (docs/design.md rule 5).
Errors are ``{"error": {"code": ..., "message": ..., "fields": {...}}}``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import Blueprint, current_app, g, jsonify, request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from pydantic import BaseModel, ValidationError
from sqlalchemy import Row
from sqlalchemy.orm import Session
from sqlmodel import col, select

from postal_tracker import db
from postal_tracker.api import schemas
from postal_tracker.api.tokens import (
    Bearer,
    bearer_for_token,
    bearer_of_rows,
    hash_of,
    issue_token,
    revoke_token,
    with_bearer,
)
from postal_tracker.auth.models import User
from postal_tracker.auth.service import AccountLocked, authenticate, find_user, unit_ids_of
from postal_tracker.config import Settings
from postal_tracker.custody.actors import actor_of
from postal_tracker.custody.errors import ItemNotFound
from postal_tracker.custody.ledger import (
    LOCK,
    Caller,
    Scan,
    record,
)
from postal_tracker.custody.models import CustodyEvent, Item
from postal_tracker.custody.rules import Actor, EventKind
from postal_tracker.errors import HTTP_STATUS, DomainError
from postal_tracker.extensions import csrf, limiter
from postal_tracker.intake.access import NOT_IN_SCOPE, holdings, item_by_code, scanner_in_scope
from postal_tracker.units.kinds import UnitKind
from postal_tracker.units.models import Unit

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # bearer tokens are not ambient credentials; sessions are checked below


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields


@bp.errorhandler(ApiError)
def api_error(exc: ApiError) -> ResponseReturnValue:
    body: dict[str, Any] = {"code": exc.code, "message": exc.message}
    if exc.fields:
        body["fields"] = exc.fields
    return jsonify(error=body), exc.status


@bp.errorhandler(DomainError)
def domain_error(exc: DomainError) -> ResponseReturnValue:
    """Every API blueprint answers a refusal this way."""
    # Whether the item is missing or out of scope is never told apart.
    message = NOT_IN_SCOPE if isinstance(exc, ItemNotFound) else exc.untranslated()
    body: dict[str, Any] = {"code": exc.code, "message": message}
    if exc.field:
        body["fields"] = {exc.field: message}
    return jsonify(error=body), HTTP_STATUS[exc.kind]


def parse_body(model: type[BaseModel]) -> Any:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, "bad_json", "The body must be a JSON object.")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ApiError(
            422, "invalid", "Some fields are wrong.", schemas.field_errors(exc)
        ) from None


def api_user() -> User:
    """The caller, by bearer token or by browser session (with CSRF)."""
    if "api_user" not in g:
        bearer = _token_bearer()
        if bearer is not None:
            g.api_user = db.session().get(User, bearer.user_id)
        elif current_user.is_authenticated:
            if request.method not in ("GET", "HEAD", "OPTIONS"):
                csrf.protect()
            g.api_user = current_user._get_current_object()
        else:
            raise ApiError(
                401, "unauthorized", "Send a bearer token (POST /api/v1/tokens) or log in."
            )
    user: User = g.api_user
    return user


def api_bearer() -> Bearer:
    """The caller's id, role and units: :func:`api_user` without loading the
    user, for the paths that need no more (a scan)."""
    bearer = _token_bearer()
    if bearer is None:
        if "api_bearer" not in g:
            user = api_user()
            assert user.id is not None
            g.api_bearer = Bearer(user.id, user.role, unit_ids_of(db.session(), user))
        bearer = g.api_bearer
    return bearer


def _token_bearer() -> Bearer | None:
    """The holder of the request's bearer token (401 if it is not live), or
    None if the request carries none."""
    if "api_bearer" in g:
        found: Bearer = g.api_bearer
        return found
    token = _header_token()
    if token is None:
        return None
    return _checked(bearer_for_token(db.session(), token))


def _header_token() -> str | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    return header.removeprefix("Bearer ").strip()


def _checked(bearer: Bearer | None) -> Bearer:
    if bearer is None:
        raise ApiError(401, "unauthorized", "The token is unknown or revoked.")
    g.api_bearer = bearer
    return bearer


@bp.post("/tokens")
@limiter.limit("10 per minute")
def create_token() -> ResponseReturnValue:
    body = parse_body(schemas.TokenRequest)
    settings: Settings = current_app.config["SETTINGS"]
    session = db.session()
    try:
        user = authenticate(
            session,
            body.username,
            body.password,
            max_failures=settings.login_max_failures,
            window_seconds=settings.login_window_seconds,
        )
    except AccountLocked:
        raise ApiError(429, "locked", "Too many failed attempts; try again later.") from None
    if user is None:
        db.keep_writes_despite_error()  # count the failure
        raise ApiError(401, "bad_credentials", "Wrong username or password.")
    row, clear = issue_token(session, user, body.device_name)
    return jsonify(id=row.id, token=clear, user=_user_json(user)), 201


@bp.delete("/tokens/<int:token_id>")
def delete_token(token_id: int) -> ResponseReturnValue:
    user = api_user()
    # Ids beyond the column's range name no token (and would overflow PostgreSQL's integer).
    if not 0 < token_id < 2**31 or not revoke_token(db.session(), user, token_id):
        raise ApiError(404, "not_found", "No such token.")
    return "", 204


@bp.post("/scans")
def post_scan() -> ResponseReturnValue:
    try:
        body: schemas.ScanRequest = parse_body(schemas.ScanRequest)
    except ApiError:
        api_bearer()  # a caller who may not scan hears 401, not what is wrong
        raise
    if body.receiver or body.new_custodian:
        api_bearer()  # people and offices are looked up for a known caller only
    session = db.session()
    receiver = _party(session, body.receiver, "receiver")
    custodian = _party(session, body.new_custodian, "new_custodian")
    data: dict[str, Any] = {}
    if body.incident:
        data["incident"] = body.incident.model_dump(mode="json", exclude_none=True)
    if body.note:
        data["note"] = body.note
    if body.geo:
        data["geo"] = body.geo.model_dump(mode="json", exclude_none=True)
    scan = Scan(
        client_id=body.client_id,
        tracking_code=body.tracking_code,
        kind=EventKind(body.kind.value),
        device_time=body.device_time,
        follows=body.follows,
        receiver_user_id=receiver[0],
        receiver_unit_id=receiver[1],
        receiver_is_agency=receiver[2],
        new_custodian_user_id=custodian[0],
        new_custodian_unit_id=custodian[1],
        corrects=body.corrects,
        data=data,
    )
    try:
        answer = record(session, _scanner(), scan, authorize=scanner_in_scope)
    except ItemNotFound:
        api_bearer()  # a caller who may not scan hears 401, not what is missing
        raise
    if answer.conflict:
        db.keep_writes_despite_error()  # the conflicting scan is evidence
    response = jsonify(answer.body)
    response.status_code = 409 if answer.conflict else 200 if answer.replayed else 201
    if answer.replayed:
        response.headers["Idempotent-Replay"] = "true"
    return response


# The scanned item's lock statement, reading the holder of the device's token
# with it (one round trip).
_LOCK_WITH_BEARER = with_bearer(LOCK, Item)


def _scanner() -> Actor | Caller:
    """Who scans: a device whose token is not checked yet is checked by the
    item's lock statement itself."""
    token = _header_token()
    if token is None or "api_bearer" in g:
        caller = api_bearer()
        return actor_of(caller.user_id, caller.role, caller.unit_ids)
    token_hash = hash_of(token)
    if token_hash is None:
        raise ApiError(401, "unauthorized", "The token is unknown or revoked.")
    return Caller(_LOCK_WITH_BEARER, {"token_hash": token_hash}, _token_actor)


def _token_actor(session: Session, rows: Sequence[Row[*tuple[Any, ...]]]) -> Actor:
    caller = _checked(bearer_of_rows(session, rows))
    return actor_of(caller.user_id, caller.role, caller.unit_ids)


def _party(
    session: Session, ref: schemas.PartyRef | None, field: str
) -> tuple[int | None, int | None, bool]:
    if ref is None or (not ref.username and not ref.unit_code):
        return None, None, False
    user_id = unit_id = None
    is_agency = False
    if ref.username:
        person = find_user(session, ref.username)
        if person is None or not person.active:
            raise ApiError(422, "invalid", "Unknown person.", {f"{field}.username": "no such user"})
        user_id = person.id
    if ref.unit_code:
        unit = session.scalars(select(Unit).where(Unit.code == ref.unit_code)).first()
        if unit is None or not unit.active:
            raise ApiError(
                422, "invalid", "Unknown office.", {f"{field}.unit_code": "no such unit"}
            )
        unit_id, is_agency = unit.id, unit.kind is UnitKind.AGENCY
    return user_id, unit_id, is_agency


@bp.get("/holdings")
def get_holdings() -> ResponseReturnValue:
    held, offered = holdings(db.session(), api_user())
    return jsonify(held=[_item_json(i) for i in held], offered=[_item_json(i) for i in offered])


@bp.get("/items/<code>")
def get_item(code: str) -> ResponseReturnValue:
    session = db.session()
    item = item_by_code(session, api_user(), code.strip().upper())
    if item is None:
        raise ApiError(404, "not_found", NOT_IN_SCOPE)
    events = session.scalars(
        select(CustodyEvent).where(CustodyEvent.item_id == item.id).order_by(col(CustodyEvent.seq))
    ).all()
    return jsonify(item=_item_json(item), events=[_event_json(e) for e in events])


def _item_json(item: Item) -> dict[str, Any]:
    return {
        "tracking_code": item.tracking_code,
        "kind": str(item.kind),
        "phase": str(item.phase),
        "custodian_user_id": item.custodian_user_id,
        "custodian_unit_id": item.custodian_unit_id,
        "custody_since": item.custody_since.isoformat() if item.custody_since else None,
        "offer_event_id": item.offer_event_id,
        "offered_to_user_id": item.offered_to_user_id,
        "offered_to_unit_id": item.offered_to_unit_id,
        "disputed": item.disputed,
        "head_event_id": item.head_event_id,
    }


def _event_json(e: CustodyEvent) -> dict[str, Any]:
    return {
        "id": e.id,
        "seq": e.seq,
        "kind": str(e.kind),
        "client_id": e.client_id,
        "actor_user_id": e.actor_user_id,
        "actor_unit_id": e.actor_unit_id,
        "counterpart_user_id": e.counterpart_user_id,
        "counterpart_unit_id": e.counterpart_unit_id,
        "follows": e.follows_event_id,
        "device_time": e.device_time.isoformat(),
        "device_utc_offset_min": e.device_utc_offset_min,
        "server_time": e.server_time.isoformat(),
        "hash": e.hash,
    }


def _user_json(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "full_name": user.full_name,
        "role": str(user.role),
    }
