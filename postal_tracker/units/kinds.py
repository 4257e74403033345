"""The kinds of unit, pure: areas, the offices within them, and agencies."""

from __future__ import annotations

from enum import StrEnum


class UnitKind(StrEnum):
    PROVINCE = "province"
    DISTRICT = "district"
    COMMUNE = "commune"
    COMMUNE_OFFICE = "commune_office"
    POST_POINT = "post_point"
    POST_OFFICE = "post_office"
    HUB = "hub"
    AGENCY = "agency"


AREA_KINDS = frozenset({UnitKind.PROVINCE, UnitKind.DISTRICT, UnitKind.COMMUNE})
POSTAL_KINDS = frozenset({UnitKind.POST_POINT, UnitKind.POST_OFFICE, UnitKind.HUB})
