"""Least privilege: each role sees its own dossiers; anything else is a 404
that looks exactly like a dossier that does not exist."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from tests.conftest import Browser

THAO = "Nguyễn Thị Phương Thảo"  # Tràng Xá → Sở Công Thương, just taken in
SUNG = "Lâm Văn Sùng"  # Tràng Xá → Sở Nội vụ, held by buuta.vonhai, offered to the hub
NGA = "Đỗ Thị Thu Nga"  # Trưng Vương → Sở Nội vụ, received by the agency
HA = "Lương Thị Thu Hà"  # picked up at home by buuta.donghy for Hóa Trung

VISIBLE = {
    "canbo.trangxa": {THAO, SUNG},
    "canbo.trungvuong": {NGA},
    "canbo.hoavanthu": set(),
    "buuta.vonhai": {SUNG},
    "buuta.donghy": {HA},
    "gdv.tinh": {SUNG},
    "chuyenvien.sct": {THAO},
    "chuyenvien.snv": {SUNG, NGA},
    "giamsat": {THAO, SUNG, NGA, HA},
    "quantri": {THAO, SUNG, NGA, HA},
}


def _without_path(page: str) -> str:
    # CSRF tokens carry a timestamp, so two pages a second apart differ there.
    page = re.sub(r'name="csrf_token" value="[^"]*"', "", page)
    return re.sub(r'name="next" value="[^"]*"', "", page)


def _listed_ids(b: Browser) -> set[int]:
    page = b.client.get("/dossiers/").get_data(as_text=True)
    return {int(i) for i in re.findall(r'href="/dossiers/(\d+)"', page)}


@pytest.mark.parametrize("username", sorted(VISIBLE))
def test_each_role_sees_its_scope(
    as_user: Callable[[str], Browser], dossier_ids: dict[str, int], username: str
) -> None:
    b = as_user(username)
    wanted = {dossier_ids[name] for name in VISIBLE[username]}
    assert _listed_ids(b) == wanted
    for name, dossier_id in dossier_ids.items():
        status = b.client.get(f"/dossiers/{dossier_id}").status_code
        assert status == (200 if name in VISIBLE[username] else 404), name


def test_out_of_scope_looks_exactly_like_missing(
    as_user: Callable[[str], Browser], dossier_ids: dict[str, int]
) -> None:
    b = as_user("canbo.trungvuong")
    other = b.client.get(f"/dossiers/{dossier_ids[THAO]}")
    missing = b.client.get("/dossiers/999999")
    assert other.status_code == missing.status_code == 404
    # The same page, but for the path itself (kept for the language switch).
    assert _without_path(other.get_data(as_text=True)) == _without_path(
        missing.get_data(as_text=True)
    )
    assert THAO not in other.get_data(as_text=True)


def test_a_new_dossier_is_seen_by_its_commune_and_agency_only(
    as_user: Callable[[str], Browser], intake_form: Callable[..., dict[str, str]]
) -> None:
    response = as_user("canbo.trangxa").post("/dossiers/new", intake_form(), csrf="/dossiers/new")
    path = response.headers["Location"]
    assert as_user("chuyenvien.sct").client.get(path).status_code == 200
    assert as_user("giamsat").client.get(path).status_code == 200
    for outsider in ("canbo.trungvuong", "chuyenvien.snv", "buuta.donghy", "gdv.tinh"):
        assert as_user(outsider).client.get(path).status_code == 404, outsider
