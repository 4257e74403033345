"""The OpenAPI 3.1 document of the JSON API, built from the request models."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from postal_tracker.api import manifests as manifests_api
from postal_tracker.api import schemas

bp = Blueprint("openapi", __name__, url_prefix="/api/v1")

_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {"type": "object", "additionalProperties": {"type": "string"}},
                "reason": {"type": "string"},
                "current_custodian": {"type": "object"},
            },
        }
    },
}
_ITEM = {
    "type": "object",
    "properties": {
        "tracking_code": {"type": "string"},
        "kind": {"type": "string"},
        "phase": {"type": "string"},
        "custodian_user_id": {"type": ["integer", "null"]},
        "custodian_unit_id": {"type": ["integer", "null"]},
        "custody_since": {"type": ["string", "null"], "format": "date-time"},
        "offer_event_id": {"type": ["integer", "null"]},
        "offered_to_user_id": {"type": ["integer", "null"]},
        "offered_to_unit_id": {"type": ["integer", "null"]},
        "disputed": {"type": "boolean"},
        "head_event_id": {"type": ["integer", "null"]},
    },
}
_EVENT = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "seq": {"type": "integer"},
        "kind": {"type": "string"},
        "client_id": {"type": "string"},
        "device_time": {"type": "string", "format": "date-time"},
        "server_time": {"type": "string", "format": "date-time"},
        "hash": {"type": "string"},
    },
}
_SCAN_ANSWER = {
    "type": "object",
    "required": ["event", "item"],
    "properties": {
        "event": {"$ref": "#/components/schemas/Event"},
        "item": {"type": "object"},
        "error": _ERROR["properties"]["error"],  # type: ignore[index]
    },
}


def _json(schema_ref: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_ref}"}}}


def _errors(*codes: int) -> dict[str, Any]:
    return {str(c): {"description": "error", "content": _json("Error")} for c in codes}


def document() -> dict[str, Any]:
    components: dict[str, Any] = {
        "Error": _ERROR,
        "Item": _ITEM,
        "Event": _EVENT,
        "ScanAnswer": _SCAN_ANSWER,
    }
    for model in (schemas.TokenRequest, schemas.ScanRequest, *manifests_api.REQUEST_MODELS):
        schema = schemas.json_schema(model)
        components.update(schema.pop("$defs", {}))
        components[model.__name__] = schema
    secured: list[dict[str, list[str]]] = [{"bearer": []}, {"session": []}]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Postal Tracker API",
            "version": "1",
            "description": "Scans and custody of dossiers carried by post. Every write "
            "carries a client-generated client_id: a retry with the same id and content "
            "gets the first answer again; the same id with other content gets 422.",
        },
        "servers": [{"url": "/"}],
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "session"},
            },
        },
        "paths": {
            "/api/v1/tokens": {
                "post": {
                    "summary": "Get a device token with a user's credentials",
                    "operationId": "createToken",
                    "requestBody": {"required": True, "content": _json("TokenRequest")},
                    "responses": {
                        "201": {"description": "token issued"},
                        **_errors(400, 401, 422, 429),
                    },
                }
            },
            "/api/v1/tokens/{token_id}": {
                "delete": {
                    "summary": "Revoke one of your tokens",
                    "operationId": "revokeToken",
                    "security": secured,
                    "parameters": [
                        {
                            "name": "token_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer"},
                        }
                    ],
                    "responses": {"204": {"description": "revoked"}, **_errors(401, 404)},
                }
            },
            "/api/v1/scans": {
                "post": {
                    "summary": "Record a scan (a custody event) of one item",
                    "operationId": "postScan",
                    "security": secured,
                    "requestBody": {"required": True, "content": _json("ScanRequest")},
                    "responses": {
                        "201": {"description": "recorded", "content": _json("ScanAnswer")},
                        "200": {
                            "description": "a retry: the first answer again",
                            "content": _json("ScanAnswer"),
                        },
                        "409": {
                            "description": "the item moved meanwhile; the scan is kept "
                            "as a conflict and the item is disputed",
                            "content": _json("ScanAnswer"),
                        },
                        **_errors(400, 401, 404, 422),
                    },
                }
            },
            "/api/v1/holdings": {
                "get": {
                    "summary": "What I hold now, and what is offered to me",
                    "operationId": "getHoldings",
                    "security": secured,
                    "responses": {"200": {"description": "held and offered items"}, **_errors(401)},
                }
            },
            "/api/v1/items/{code}": {
                "get": {
                    "summary": "An item and its timeline",
                    "operationId": "getItem",
                    "security": secured,
                    "parameters": [
                        {
                            "name": "code",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        }
                    ],
                    "responses": {
                        "200": {"description": "the item and its events"},
                        **_errors(401, 404),
                    },
                }
            },
            **manifests_api.openapi_paths(),
        },
    }


@bp.get("/openapi.json")
def openapi_json() -> ResponseReturnValue:
    return jsonify(document())
