"""The roles a person acts in, pure: the custody rules, the watchdogs and the
pages ask them without loading the user table."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    COMMUNE_OFFICER = "commune_officer"
    POSTAL_WORKER = "postal_worker"
    POST_OFFICE_CLERK = "post_office_clerk"
    AGENCY_CLERK = "agency_clerk"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
