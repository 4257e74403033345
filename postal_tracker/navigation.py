"""Where each role goes from the menu and the start page."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_login import current_user

from postal_tracker.auth.roles import Role
from postal_tracker.custody.rules import HANDLING_ROLES

# (endpoint, label, roles); None means every signed-in role.
# Those who hand items over, and supervisors who check them.
SCANNING_ROLES = HANDLING_ROLES | {Role.SUPERVISOR}

LINKS: list[tuple[str, LazyString, frozenset[Role] | None]] = [
    (
        "dossiers.new",
        _l("Take in a dossier"),
        frozenset({Role.COMMUNE_OFFICER, Role.POSTAL_WORKER}),
    ),
    (
        "scanner.scanner",
        _l("Scan"),
        SCANNING_ROLES,
    ),
    ("scanner.held", _l("What I hold"), None),
    ("dossiers.index", _l("Dossiers"), None),
    (
        "manifests.index",
        _l("Manifests"),
        SCANNING_ROLES,
    ),
    ("agency.dashboard", _l("Agency desk"), frozenset({Role.AGENCY_CLERK})),
    ("delivery.run", _l("My delivery run"), frozenset({Role.POSTAL_WORKER})),
    ("delivery.returns", _l("Returned results"), frozenset({Role.AGENCY_CLERK})),
    ("delivery.route_list", _l("Routes"), frozenset({Role.SUPERVISOR, Role.ADMIN})),
    ("watch.index", _l("Alerts"), frozenset({Role.SUPERVISOR, Role.ADMIN})),
]


def links_for(role: Role, endpoints: set[str]) -> list[tuple[str, str]]:
    """(endpoint, label) pairs this role may use, among the app's endpoints."""
    return [
        (endpoint, str(label))
        for endpoint, label, roles in LINKS
        if endpoint in endpoints and (roles is None or role in roles)
    ]


def init_app(app: Flask) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}

    @app.context_processor
    def navigation() -> dict[str, Any]:
        if not current_user or not current_user.is_authenticated:
            return {"nav_links": []}
        return {"nav_links": links_for(current_user.role, endpoints)}
