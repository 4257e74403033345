"""Error pages and JSON errors: a message a person can act on, never a trace."""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from postal_tracker.errors import DomainError
from postal_tracker.web.refusals import translated

log = logging.getLogger(__name__)


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _messages() -> dict[int, str]:
    return {
        400: _("The request could not be understood. Go back and try again."),
        401: _("Please log in."),
        403: _("You may not do this."),
        404: _("Not found. It does not exist, or it is not in your area of work."),
        405: _("This action is not allowed here."),
        413: _("The file or form is too large."),
        422: _("Some fields need attention."),
        429: _("Too many attempts. Wait a minute and try again."),
        500: _("Something went wrong on our side. Nothing was saved; please try again."),
    }


def _render(status: int, message: str) -> ResponseReturnValue:
    if _wants_json():
        return {"error": {"code": str(status), "message": message}}, status
    return render_template("error.html", status=status, message=message), status


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> ResponseReturnValue:
        return _render(
            400,
            _(
                "This form has expired or was not sent from this site. Reload the page and "
                "send it again."
            ),
        )

    @app.errorhandler(DomainError)
    def refused(exc: DomainError) -> ResponseReturnValue:
        # A refusal no page caught (e.g. NotFound from a service): its own words.
        return _render(exc.status, translated(exc))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> ResponseReturnValue:
        status = exc.code or 500
        return _render(status, _messages().get(status, exc.description or ""))

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> ResponseReturnValue:
        if app.testing:
            raise exc  # let the test see the real error
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _render(500, _messages()[500])
