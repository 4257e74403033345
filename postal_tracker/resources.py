"""Where the app's files that are not Python are: the page templates, the
static files, the label layouts, the migrations and the message catalogues.

In the built wheel they are package data, inside ``postal_tracker/`` (the
wheel maps the top-level ``templates/``, ``labels/`` and ``migrations/`` in,
see ``[tool.hatch.build.targets.wheel.force-include]`` in pyproject.toml). In a
source checkout, or an editable install, the top-level folders are used where
they are. ``static/`` and ``translations/`` live in the package either way.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def resource(name: str) -> Path:
    """The folder ``name`` (``"templates"``, ``"labels"``, ``"migrations"``,
    ``"static"``, ``"translations"``): inside the installed package, else at
    the top of the source checkout."""
    installed = PACKAGE / name
    if installed.is_dir():
        return installed
    checkout = PACKAGE.parent / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"{name}/ is neither in {PACKAGE} nor in {PACKAGE.parent}")
