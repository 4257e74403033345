"""The application factory."""

from __future__ import annotations

import sys
from datetime import timedelta
from typing import Any

import click
from flask import Flask, Request, session
from flask.cli import FlaskGroup
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_babel import gettext
from werkzeug.middleware.proxy_fix import ProxyFix

from postal_tracker import db, home, navigation
from postal_tracker.agency import views as agency_views
from postal_tracker.api import manifests as manifests_api
from postal_tracker.api import openapi
from postal_tracker.api import views as api_views
from postal_tracker.auth import views as auth_views
from postal_tracker.cli import register_commands
from postal_tracker.config import LOCALES, ConfigError, Settings
from postal_tracker.delivery import citizen as delivery_citizen
from postal_tracker.delivery import views as delivery_views
from postal_tracker.extensions import babel, csrf, limiter, login_manager
from postal_tracker.intake import slip_pages
from postal_tracker.intake import views as intake_views
from postal_tracker.intake.search_text import register_sqlite_functions
from postal_tracker.manifests import views as manifests_views
from postal_tracker.public import views as public_views
from postal_tracker.resources import resource
from postal_tracker.scanner import views as scanner_views
from postal_tracker.watch import views as watch_views
from postal_tracker.web import display, errors


def create_app(settings: Settings | None = None) -> Flask:
    """Build the app. No side effects beyond reading settings: migrations and
    demo data are commands of their own."""
    settings = settings or Settings.from_env()
    app = Flask(
        "postal_tracker",
        instance_path=str(settings.instance_path),
        template_folder=str(resource("templates")),
        static_folder=str(resource("static")),
    )
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SETTINGS=settings,
        TESTING=settings.env == "testing",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.session_cookie_secure,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        BABEL_DEFAULT_LOCALE=settings.default_locale,
        BABEL_TRANSLATION_DIRECTORIES=str(resource("translations")),
        RATELIMIT_STORAGE_URI=settings.ratelimit_storage_uri,
        RATELIMIT_ENABLED=settings.ratelimit_enabled,
        RATELIMIT_HEADERS_ENABLED=True,
        MAX_CONTENT_LENGTH=8 * 1024 * 1024,
    )
    if settings.proxy_hops:
        hops = settings.proxy_hops
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops
        )
    app.session_interface = _CookieSessions()
    engine = db.make_engine(settings.database_url)
    register_sqlite_functions(engine)
    db.init_app(app, engine)
    babel.init_app(app, locale_selector=_select_locale)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)

    app.register_blueprint(agency_views.bp)
    app.register_blueprint(api_views.bp)
    app.register_blueprint(openapi.bp)
    app.register_blueprint(auth_views.bp)
    app.register_blueprint(delivery_views.bp)
    app.register_blueprint(delivery_citizen.bp)
    app.register_blueprint(intake_views.bp)
    app.register_blueprint(manifests_api.bp)
    app.register_blueprint(manifests_views.bp)
    app.register_blueprint(home.bp)
    app.register_blueprint(public_views.bp)
    app.register_blueprint(scanner_views.bp)
    app.register_blueprint(slip_pages.bp)
    app.register_blueprint(slip_pages.api_bp)
    app.register_blueprint(watch_views.bp)
    errors.init_app(app)
    display.init_app(app)
    navigation.init_app(app)
    app.context_processor(_template_globals)

    register_commands(app)
    return app


class _CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, but a request without the cookie (a
    device with a bearer token) gets its empty session without building the
    signing serializer, which Flask does on every request."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)


def _select_locale() -> str:
    chosen = session.get("locale")
    if chosen in LOCALES:
        return str(chosen)
    from flask_login import current_user

    if current_user and current_user.is_authenticated and current_user.locale in LOCALES:
        return str(current_user.locale)
    # Vietnamese first, whatever the browser says: the users are Vietnamese
    # officers on shared devices whose browsers are often set to English.
    return LOCALES[0]


def _template_globals() -> dict[str, Any]:
    from flask_babel import get_locale

    return {"current_locale": str(get_locale()), "locales": LOCALES, "_": gettext}


def _create_app() -> Flask:
    try:
        return create_app()
    except ConfigError as exc:
        click.echo(f"Configuration error: {exc}", err=True)
        sys.exit(2)


# The console script ``postal-tracker``.
main = FlaskGroup(
    create_app=_create_app,
    add_default_commands=False,
    load_dotenv=False,
    help="Postal Tracker: custody of dossiers carried by post.",
)
