"""Request bodies of the JSON API, validated with pydantic; the same models
describe them in the OpenAPI document."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator

from postal_tracker import clock, s10
from postal_tracker.custody.rules import EventKind
from postal_tracker.errors import DomainError

# Kinds a client may record by scanning (the opening kinds come from intake and
# the agency; conflicts are recorded by the server).
SCANNABLE = [
    k
    for k in EventKind
    if k not in (EventKind.ACCEPTED, EventKind.RESULT_READY, EventKind.CONFLICT)
]
ScanKind = StrEnum("ScanKind", {k.name: k.value for k in SCANNABLE})  # type: ignore[misc]


def _device_time(value: datetime) -> datetime:
    try:
        return clock.check_device_time(value)
    except DomainError as err:
        raise ValueError(err.untranslated()) from None


# A device's clock, held to the one rule of :mod:`postal_tracker.clock`.
DeviceTime = Annotated[datetime, AfterValidator(_device_time)]

# Event ids are 32-bit integers in the database.
DB_INT_MAX = 2**31 - 1


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class TokenRequest(Strict):
    username: Annotated[str, Field(min_length=1, max_length=64)]
    password: Annotated[str, Field(min_length=1, max_length=256)]
    device_name: Annotated[str, Field(default="", max_length=100)]


class PartyRef(Strict):
    """A person (by username) and/or an office (by unit code)."""

    username: Annotated[str | None, Field(default=None, max_length=64)]
    unit_code: Annotated[str | None, Field(default=None, max_length=32)]


class Geo(Strict):
    """Where the scan happened, only with the person's consent."""

    lat: Annotated[float, Field(ge=-90, le=90)]
    lon: Annotated[float, Field(ge=-180, le=180)]
    accuracy_m: Annotated[float | None, Field(default=None, ge=0, le=100_000)]


class IncidentKind(StrEnum):
    DAMAGED_SEAL = "damaged_seal"
    MISSING_PAGES = "missing_pages"
    WRONG_ITEM = "wrong_item"
    NOT_FOUND = "not_found"
    OTHER = "other"


class Incident(Strict):
    kind: IncidentKind
    missing_pages: Annotated[int | None, Field(default=None, ge=1, le=9999)]
    note: Annotated[str, Field(default="", max_length=1000)]


class ScanRequest(Strict):
    client_id: Annotated[str, Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
    tracking_code: Annotated[str, Field(min_length=13, max_length=20)]
    kind: ScanKind
    device_time: DeviceTime
    follows: Annotated[int | None, Field(default=None, ge=1, le=DB_INT_MAX)]
    receiver: PartyRef | None = None
    new_custodian: PartyRef | None = None
    corrects: Annotated[int | None, Field(default=None, ge=1, le=DB_INT_MAX)]
    incident: Incident | None = None
    note: Annotated[str, Field(default="", max_length=1000)]
    geo: Geo | None = None

    @field_validator("tracking_code")
    @classmethod
    def _code(cls, value: str) -> str:
        try:
            return s10.validate(value)
        except s10.InvalidTrackingCode:
            raise ValueError("not a valid tracking code (check the letters and digits)") from None


def field_errors(exc: ValidationError) -> dict[str, str]:
    """``{"receiver.username": "message"}``: which field, and what is wrong."""
    out: dict[str, str] = {}
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "body"
        out.setdefault(where, str(err["msg"]).removeprefix("Value error, "))
    return out


def json_schema(model: type[BaseModel]) -> dict[str, Any]:
    return model.model_json_schema(ref_template="#/components/schemas/{model}")
