"""Errors of the custody ledger, each with an HTTP status and a stable code."""

from __future__ import annotations


class LedgerError(Exception):
    status = 422
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class ItemNotFound(LedgerError):
    status = 404
    code = "not_found"


class IdempotencyMismatch(LedgerError):
    """The client id was used before for a different request."""

    status = 422
    code = "client_id_reused"


class Refused(LedgerError):
    """The custody rules do not allow this event here."""

    status = 422
