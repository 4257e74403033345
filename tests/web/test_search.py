"""The dossier list and its search (a POST: no name or phone in any URL), and
one dossier's page with its timeline."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from flask import Flask

from tests.conftest import Browser
from tests.web.test_scope import HA, NGA, SUNG, THAO


def _found(b: Browser, query: str) -> set[int]:
    response = b.post("/dossiers/", {"q": query}, csrf="/dossiers/")
    assert response.status_code == 200
    return {int(i) for i in re.findall(r'href="/dossiers/(\d+)"', response.get_data(as_text=True))}


def _code(app: Flask, dossier_id: int) -> str:
    with app.extensions["db_engine"].connect() as conn:
        code: str = conn.execute(
            sa.text("SELECT tracking_code FROM item WHERE dossier_id = :d"), {"d": dossier_id}
        ).scalar_one()
    return code


@pytest.mark.parametrize("shape", ["full", "spaced", "lower", "prefix"])
def test_search_by_tracking_code(
    app: Flask, as_user: Callable[[str], Browser], dossier_ids: dict[str, int], shape: str
) -> None:
    code = _code(app, dossier_ids[SUNG])
    query = {
        "full": code,
        "spaced": f"{code[:2]} {code[2:6]} {code[6:11]} {code[11:]}",
        "lower": code.lower(),
        "prefix": code[:-3],
    }[shape]
    assert dossier_ids[SUNG] in _found(as_user("giamsat"), query)
    assert dossier_ids[NGA] not in _found(as_user("giamsat"), code)


@pytest.mark.parametrize(
    "query",
    [
        "Nguyễn Thị Phương",
        "nguyễn thị phương",
        "NGUYỄN THỊ PHƯƠNG",
        "nguyen thi phuong",
        "THẢO",
        "Thao",
    ],
)
def test_search_by_name_ignores_case_and_accents(
    as_user: Callable[[str], Browser], dossier_ids: dict[str, int], query: str
) -> None:
    assert _found(as_user("giamsat"), query) == {dossier_ids[THAO]}


def test_decomposed_accents_find_the_same_name(
    as_user: Callable[[str], Browser], dossier_ids: dict[str, int]
) -> None:
    import unicodedata

    query = unicodedata.normalize("NFD", "Đỗ Thị Thu Nga")
    assert _found(as_user("giamsat"), query) == {dossier_ids[NGA]}


@pytest.mark.parametrize(
    "query",
    [
        "0987 654 321",
        "0987654321",
        "+84 987 654 321",
        "84987654321",
        "0987.654.321",
        "(+84) 987-654-321",
    ],
)
def test_search_by_phone_in_any_common_format(
    as_user: Callable[[str], Browser], dossier_ids: dict[str, int], query: str
) -> None:
    assert _found(as_user("giamsat"), query) == {dossier_ids[SUNG]}


def test_search_stays_in_scope(
    as_user: Callable[[str], Browser], dossier_ids: dict[str, int]
) -> None:
    b = as_user("canbo.trungvuong")
    assert _found(b, "0987 654 321") == set()
    assert _found(b, "Lương Thị Thu Hà") == set()
    assert _found(b, "Thu Nga") == {dossier_ids[NGA]}


def test_search_with_like_wildcards_is_literal(as_user: Callable[[str], Browser]) -> None:
    assert _found(as_user("giamsat"), "%") == set()
    assert _found(as_user("giamsat"), "_") == set()


def test_search_is_a_post_and_leaves_nothing_in_the_url(as_user: Callable[[str], Browser]) -> None:
    b = as_user("giamsat")
    page = b.client.get("/dossiers/").get_data(as_text=True)
    assert re.search(r'<form method="post" class="search"', page)
    assert b.client.get("/dossiers/?q=Thảo").status_code == 200  # a query string is ignored
    response = b.post("/dossiers/", {"q": "0987 654 321"}, csrf="/dossiers/")
    assert response.request.url.endswith("/dossiers/")


def test_phones_are_masked_in_the_list(as_user: Callable[[str], Browser]) -> None:
    page = as_user("giamsat").client.get("/dossiers/").get_data(as_text=True)
    assert "09xx xxx 321" in page
    assert "0987" not in page and "654 321" not in page and "+84987654321" not in page


def test_dossier_page_shows_the_timeline(
    app: Flask, as_user: Callable[[str], Browser], dossier_ids: dict[str, int]
) -> None:
    page = as_user("giamsat").client.get(f"/dossiers/{dossier_ids[NGA]}").get_data(as_text=True)
    assert _code(app, dossier_ids[NGA]) in page
    events = re.findall(r'<li class="event kind-([a-z_]+)">', page)
    assert events == [
        "accepted",
        "handover_offered",
        "handover_confirmed",
        "handover_offered",
        "delivered_to_agency",
    ]
    assert "Sở Nội vụ" in page and "Đỗ Thị Thu Nga" in page
    assert HA not in page
