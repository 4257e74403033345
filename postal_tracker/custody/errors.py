"""Errors of the custody ledger: domain errors (see :mod:`postal_tracker.errors`)
whose kind the views map to an HTTP status."""

from __future__ import annotations

from postal_tracker.errors import DomainError, Kind


class LedgerError(DomainError):
    """A custody event was refused; nothing was recorded."""


class ItemNotFound(LedgerError):
    kind = Kind.NOT_FOUND


class IdempotencyMismatch(LedgerError):
    """The client id was used before for a different request."""

    def __init__(self, message: str, *, code: str = "client_id_reused") -> None:
        super().__init__(message, code=code)


class Refused(LedgerError):
    """The custody rules do not allow this event here."""
