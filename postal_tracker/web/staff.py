"""Who is asking: the logged-in staff member behind ``@login_required``."""

from __future__ import annotations

from flask_login import current_user

from postal_tracker.auth.models import User


def current_staff() -> User:
    """The logged-in user as the ``User`` row itself (not Flask-Login's proxy),
    for services that take a user. Only behind ``@login_required``."""
    user: User = current_user._get_current_object()
    return user
