"""A :class:`~postal_tracker.errors.DomainError` on a page: its message in the
reader's language, beside the form field it names."""

from __future__ import annotations

from flask_babel import gettext
from flask_wtf import FlaskForm
from wtforms import Field

from postal_tracker.errors import DomainError


def translated(err: DomainError) -> str:
    """The error's message in the request's language, parameters filled in."""
    return str(gettext(err.message, **err.params))


def show_on_form(form: FlaskForm, err: DomainError) -> None:
    """Put the message beside ``err.field`` if the form has that field, else
    above the form (a refusal about the whole thing, e.g. the dossier)."""
    field = getattr(form, err.field, None) if err.field else None
    if isinstance(field, Field):
        field.errors = [*field.errors, translated(err)]
    else:
        form.form_errors.append(translated(err))
