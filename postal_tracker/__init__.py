"""Postal Tracker: the chain of custody of citizens' dossiers carried by post."""

from sqlmodel import SQLModel

# Set before any table is defined, so every constraint and index gets a stable,
# predictable name in the migrations.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

from postal_tracker.app import create_app  # noqa: E402

__all__ = ["create_app"]
