"""One error for everything the domain refuses.

A :class:`DomainError` says what went wrong in words a person can act on, as a
Babel message id (English source text with ``%(name)s`` parameters, translated
only when shown), which input is at fault (``field``), and a stable ``code``
for machines. Its ``kind`` says what sort of refusal it is; the views alone map
kinds to HTTP statuses (``HTTP_STATUS``), so that services and pure rules need
neither Flask nor a database.

Raise it with :func:`N_`-marked text so that ``pybabel extract -k N_`` finds the
message::

    raise DomainError(N_("Seal number %(seal)s is already used."), field="seal_no",
                      code="seal_taken", seal=seal_no)
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar


def N_(message: str) -> str:
    """Mark ``message`` for translation without translating it now."""
    return message


# Shared message ids. What is missing and what is outside the caller's scope get
# the same answer, so that a refusal never tells whether something exists.
NOT_FOUND = N_("Not found. It does not exist, or it is not in your area of work.")
REQUIRED = N_("This field is required.")


class Kind(StrEnum):
    INVALID = "invalid"  # the input is wrong: fix a field and send again
    NOT_FOUND = "not_found"  # missing, or outside the caller's scope (never told apart)
    CONFLICT = "conflict"  # the thing is in another state than the request expects
    FORBIDDEN = "forbidden"  # known caller, action not theirs to take
    LOCKED = "locked"  # too many tries: wait


HTTP_STATUS: dict[Kind, int] = {
    Kind.INVALID: 422,
    Kind.NOT_FOUND: 404,
    Kind.CONFLICT: 409,
    Kind.FORBIDDEN: 403,
    Kind.LOCKED: 429,
}


class DomainError(Exception):
    """A refusal with a translatable message, the field at fault and a stable code."""

    kind: ClassVar[Kind] = Kind.INVALID

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        code: str | None = None,
        **params: object,
    ) -> None:
        self.message = message
        self.field = field
        self.code = code or str(self.kind)
        self.params = params
        super().__init__(self.untranslated())

    def untranslated(self) -> str:
        """The English text, parameters filled in (for logs and the CLI)."""
        return self.message % self.params if self.params else self.message

    @property
    def status(self) -> int:
        return HTTP_STATUS[self.kind]


class NotFound(DomainError):
    kind = Kind.NOT_FOUND


class Conflict(DomainError):
    kind = Kind.CONFLICT


class Forbidden(DomainError):
    kind = Kind.FORBIDDEN


class Locked(DomainError):
    kind = Kind.LOCKED
