"""Every role finds its pages from the menu, and every link it is shown works."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from tests.conftest import Browser

EXPECTED = {
    "canbo.trangxa": {"/dossiers/new", "/scanner/", "/scanner/held", "/manifests/"},
    "buuta.vonhai": {"/dossiers/new", "/scanner/", "/delivery/run", "/manifests/"},
    "gdv.tinh": {"/scanner/", "/scanner/held", "/manifests/"},
    "chuyenvien.sct": {"/agency/", "/delivery/returns", "/scanner/"},
    "giamsat": {"/alerts/", "/delivery/routes", "/dossiers/"},
    "quantri": {"/alerts/", "/delivery/routes", "/dossiers/"},
}


@pytest.mark.parametrize("username", sorted(EXPECTED))
def test_the_menu_leads_to_working_pages(as_user: Callable[[str], Browser], username: str) -> None:
    b = as_user(username)
    home = b.client.get("/home").get_data(as_text=True)
    nav = home.split("<nav>", 1)[1].split("</nav>", 1)[0]
    links = set(re.findall(r'<a href="(/[^"]*)"', nav))
    assert EXPECTED[username] <= links, links
    for link in links:
        assert b.client.get(link).status_code == 200, link
    if username != "buuta.vonhai":
        assert "/delivery/run" not in links
    if username not in ("giamsat", "quantri"):
        assert "/alerts/" not in links
