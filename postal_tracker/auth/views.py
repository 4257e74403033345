"""Login, logout and language choice."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from postal_tracker import db
from postal_tracker.app import LOCALES
from postal_tracker.auth.models import User
from postal_tracker.auth.service import authenticate
from postal_tracker.config import Settings
from postal_tracker.errors import Locked
from postal_tracker.extensions import limiter, login_manager
from postal_tracker.web.refusals import translated

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    try:
        user = db.session().get(User, int(user_id))
    except ValueError:
        return None
    return user if user is not None and user.active else None


login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please log in to see this page.")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("pages.home"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        settings: Settings = current_app.config["SETTINGS"]
        try:
            user = authenticate(
                db.session(),
                form.username.data or "",
                form.password.data or "",
                max_failures=settings.login_max_failures,
                window_seconds=settings.login_window_seconds,
            )
        except Locked as exc:
            user = None
            form.form_errors.append(translated(exc))
            status = exc.status
        else:
            if user is None:
                form.form_errors.append(_("Wrong username or password."))
                status = 401
                # The failure counter must be saved even though we answer 401.
                db.keep_writes_despite_error()
        if user is not None:
            locale = session.get("locale")
            # A new session at login: nothing from before survives but the
            # language, so a planted session id or CSRF token is useless.
            session.clear()
            if locale:
                session["locale"] = locale
            session.permanent = True
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status


def _safe_next(target: str | None) -> str:
    """Only same-site paths, so a login link cannot send people elsewhere.
    Browsers read a backslash as a slash and drop tabs and newlines, so a
    backslash or a control character in the path could lead off the site too."""
    if target and target.startswith("/") and _plain_path(target):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and not target.startswith("//"):
            return target
    return url_for("pages.home")


def _plain_path(target: str) -> bool:
    return "\\" not in target and all(ch.isprintable() and not ch.isspace() for ch in target)


@bp.post("/logout")
@login_required
def logout() -> ResponseReturnValue:
    locale = session.get("locale")
    logout_user()
    session.clear()
    if locale:
        session["locale"] = locale
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.post("/language/<code>")
def set_language(code: str) -> ResponseReturnValue:
    if code in LOCALES:
        session["locale"] = code
    return redirect(_safe_next(request.form.get("next")))
