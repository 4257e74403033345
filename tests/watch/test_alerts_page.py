"""The alerts page: a supervisor sees the open alerts of their region and
resolves them with a note; anyone else gets 404, as for a page that does
not exist. Bad input writes nothing."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from sqlmodel import func, select

from postal_tracker.auth.roles import Role
from postal_tracker.custody.models import Alert
from postal_tracker.db import transaction
from postal_tracker.watch.alerts import raise_findings
from postal_tracker.watch.models import AlertResolution
from postal_tracker.watch.rules import Finding
from tests.conftest import Browser
from tests.custody.helpers import add_user, new_item, unit, user


def alert_at(engine: sa.Engine, unit_code: str, key: str) -> tuple[int, str]:
    with transaction(engine) as s:
        item = new_item(s)
        [alert] = raise_findings(
            s,
            [
                Finding(
                    key=key,
                    kind="custody_stalled",
                    unit_id=unit(s, unit_code).id,
                    item_id=item.id,
                    message_id="%(code)s has not moved since %(since)s.",
                    params={"code": item.tracking_code, "since": "01/12/2026"},
                )
            ],
        )
        assert alert.id is not None
        return alert.id, item.tracking_code


def resolution_count(engine: sa.Engine) -> int:
    with transaction(engine) as s:
        return s.scalar(select(func.count()).select_from(AlertResolution)) or 0


def test_the_supervisor_sees_open_alerts_of_the_region_newest_first(
    engine: sa.Engine, as_user: Callable[[str], Browser]
) -> None:
    first, _ = alert_at(engine, "MC-TRANGXA", "t:1")
    second, code = alert_at(engine, "BD-VONHAI", "t:2")
    page = as_user("giamsat").client.get("/alerts/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert code in html
    assert html.index(f'id="alert-{second}"') < html.index(f'id="alert-{first}"')
    assert 'name="csrf_token"' in html and 'name="note"' in html


def test_others_get_404(engine: sa.Engine, as_user: Callable[[str], Browser]) -> None:
    alert_id, _ = alert_at(engine, "MC-TRANGXA", "t:1")
    for username in ("canbo.trangxa", "buuta.vonhai", "chuyenvien.sct"):
        b = as_user(username)
        assert b.client.get("/alerts/").status_code == 404
        assert b.post(f"/alerts/{alert_id}/resolve", {"note": "done"}).status_code == 404
    assert as_user("quantri").client.get("/alerts/").status_code == 200
    assert resolution_count(engine) == 0


def test_a_supervisor_of_another_region_neither_sees_nor_resolves(
    engine: sa.Engine, as_user: Callable[[str], Browser]
) -> None:
    with transaction(engine) as s:
        add_user(s, "giamsat.donghy", Role.SUPERVISOR, "H-DONGHY")
    away, away_code = alert_at(engine, "MC-TRANGXA", "t:away")  # Võ Nhai district
    _, home_code = alert_at(engine, "BD-DONGHY", "t:home")
    b = Browser(as_user("giamsat").client.application.test_client())
    assert b.login("giamsat.donghy", "x" * 12).status_code == 302
    html = b.client.get("/alerts/").get_data(as_text=True)
    assert home_code in html and away_code not in html
    assert b.post(f"/alerts/{away}/resolve", {"note": "not mine"}).status_code == 404
    assert resolution_count(engine) == 0


def test_resolving_needs_a_note_and_writes_who_and_when(
    engine: sa.Engine, as_user: Callable[[str], Browser]
) -> None:
    alert_id, _ = alert_at(engine, "MC-TRANGXA", "t:1")
    b = as_user("giamsat")
    for blank in ("", "   \n "):
        refused = b.post(f"/alerts/{alert_id}/resolve", {"note": blank})
        assert refused.status_code == 400
        assert "Ghi rõ đã xử lý thế nào." in refused.get_data(as_text=True)
    too_long = b.post(f"/alerts/{alert_id}/resolve", {"note": "x" * 1001})
    assert too_long.status_code == 400
    assert resolution_count(engine) == 0
    with transaction(engine) as s:
        assert s.get(Alert, alert_id).resolved_at is None  # type: ignore[union-attr]

    done = b.post(f"/alerts/{alert_id}/resolve", {"note": "Đã gọi bưu tá, túi đã về bưu cục."})
    assert done.status_code == 302
    with transaction(engine) as s:
        alert = s.get(Alert, alert_id)
        assert alert is not None and alert.resolved_at is not None
        assert alert.resolved_by_user_id == user(s, "giamsat").id
        [why] = s.scalars(select(AlertResolution)).all()
        assert why.note == "Đã gọi bưu tá, túi đã về bưu cục."
    html = b.client.get("/alerts/").get_data(as_text=True)
    assert f'id="alert-{alert_id}"' not in html
    # Resolving it again: it is no longer open, so there is nothing to resolve.
    assert b.post(f"/alerts/{alert_id}/resolve", {"note": "again"}).status_code == 404
    assert resolution_count(engine) == 1


def test_a_missing_csrf_token_writes_nothing(
    engine: sa.Engine, as_user: Callable[[str], Browser]
) -> None:
    alert_id, _ = alert_at(engine, "MC-TRANGXA", "t:1")
    b = as_user("giamsat")
    response = b.client.post(f"/alerts/{alert_id}/resolve", data={"note": "done"})
    assert response.status_code == 400
    assert resolution_count(engine) == 0
