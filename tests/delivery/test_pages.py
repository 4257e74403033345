"""The delivery pages through the test client: routes and CSV import, the
run list and its PDF, starting the run, proof, a failed attempt, returns,
and the citizen's signed link."""

from __future__ import annotations

import base64
import io
import re
import time as clock
from collections.abc import Callable
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from PIL import Image, ImageDraw
from sqlmodel import col, func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from postal_tracker.clock import VN_TZ
from postal_tracker.custody.models import CustodyEvent, Item
from postal_tracker.custody.rules import EventKind
from postal_tracker.db import transaction
from postal_tracker.delivery.links import make_token
from postal_tracker.delivery.models import Delivery, DeliveryKind, DeliveryRoute, DeliveryStatus
from postal_tracker.delivery.routes import RouteInput, check_route, save_route
from tests.conftest import Browser, csrf_token
from tests.delivery.helpers import put_on_run, returning_result
from tests.slips.pdfcheck import text_of

TODAY = datetime.now(VN_TZ).date()
GOOD_CSV = (
    "worker,commune,weekdays,window_start,window_end,daily_capacity,post_point\n"
    "buuta.vonhai,X-TRANGXA,Mon Wed Fri,08:00,11:30,30,MC-TRANGXA\n"
    "buuta.donghy,X-HOATRUNG,T3 T5,13:30,17:00,25,BDVH-HOATRUNG\n"
)
BAD_CSV = (
    "worker,commune,weekdays,window_start,window_end,daily_capacity\n"
    "buuta.vonhai,X-TRANGXA,Mon Wed Fri,08:00,11:30,30\n"
    "canbo.trangxa,X-TRANGXA,Mon,08:00,11:30,30\n"
    "buuta.donghy,MC-TRANGXA,Tue,08:00,11:30,30\n"
    "buuta.donghy,X-HOATRUNG,Funday,08:00,11:30,30\n"
    "buuta.donghy,X-HOATRUNG,Tue,14:00,13:00,30\n"
    "buuta.vonhai,X-TRANGXA,Mon,08:00,11:30,30\n"
)


def count(engine: sa.Engine, model: type) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(model)).scalar_one())


def signature_url() -> str:
    image = Image.new("RGBA", (300, 100), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(10, 80), (290, 20)], fill=(0, 0, 0, 255), width=4)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def on_run_today(engine: sa.Engine, **kw: object) -> tuple[str, int]:
    with transaction(engine) as s:
        item = returning_result(s, **kw)  # type: ignore[arg-type]
        delivery = put_on_run(s, item, "buuta.vonhai", TODAY)
        return item.tracking_code, delivery.id or 0


def last_event(engine: sa.Engine, code: str) -> EventKind:
    with transaction(engine) as s:
        item = s.scalars(select(Item).where(Item.tracking_code == code)).one()
        return s.scalars(
            select(CustodyEvent.kind)
            .where(CustodyEvent.item_id == item.id)
            .order_by(col(CustodyEvent.seq).desc())
        ).first()  # type: ignore[return-value]


def test_routes_page_is_for_supervisors(as_user: Callable[[str], Browser]) -> None:
    assert as_user("giamsat").client.get("/delivery/routes").status_code == 200
    assert as_user("buuta.vonhai").client.get("/delivery/routes").status_code == 404


def test_a_route_is_saved_from_the_page(
    as_user: Callable[[str], Browser], engine: sa.Engine
) -> None:
    b = as_user("giamsat")
    form = {
        "worker": "buuta.vonhai",
        "commune": "X-TRANGXA",
        "day": ["0", "2"],
        "window_start": "08:00",
        "window_end": "07:00",
        "daily_capacity": "20",
        "post_point": "",
    }
    bad = b.post("/delivery/routes", form)
    assert bad.status_code == 422
    assert "The window must end after it starts." in bad.get_data(
        as_text=True
    ) or "kết thúc" in bad.get_data(as_text=True)
    assert count(engine, DeliveryRoute) == 0
    ok = b.post("/delivery/routes", {**form, "window_end": "11:00"})
    assert ok.status_code == 302
    with transaction(engine) as s:
        [route] = s.scalars(select(DeliveryRoute)).all()
        assert route.weekdays == "02"


def test_csv_import_good_and_bad(as_user: Callable[[str], Browser], engine: sa.Engine) -> None:
    b = as_user("giamsat")
    bad = b.post(
        "/delivery/routes/import",
        {"file": (io.BytesIO(BAD_CSV.encode()), "routes.csv")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)
    report = page[page.index('id="import-report"') :]
    lines = [int(n) for n in re.findall(r"<tr><td>(\d+)</td>", report)]
    assert lines == [3, 4, 5, 6, 7]
    assert count(engine, DeliveryRoute) == 0
    good = b.post(
        "/delivery/routes/import",
        {"file": (io.BytesIO(GOOD_CSV.encode("utf-8-sig")), "routes.csv")},
        content_type="multipart/form-data",
    )
    assert good.status_code == 302
    assert count(engine, DeliveryRoute) == 2
    empty = b.post("/delivery/routes/import", {}, content_type="multipart/form-data")
    assert empty.status_code == 422


def test_run_list_start_and_pdf(as_user: Callable[[str], Browser], engine: sa.Engine) -> None:
    code, _ = on_run_today(engine)
    b = as_user("buuta.vonhai")
    page = b.client.get(f"/delivery/run?day={TODAY.isoformat()}").get_data(as_text=True)
    assert code in page and "Xóm Cây Thị" in page
    pdf = b.client.get(f"/delivery/run.pdf?day={TODAY.isoformat()}")
    assert pdf.mimetype == "application/pdf"
    assert "Xóm Cây Thị" in text_of(pdf.data)
    started = b.post("/delivery/run/start", {"day": TODAY.isoformat()}, csrf="/delivery/run")
    assert started.status_code == 302
    assert last_event(engine, code) is EventKind.OUT_FOR_DELIVERY
    # Another worker sees nothing of it.
    other = as_user("buuta.donghy").client.get(f"/delivery/run?day={TODAY.isoformat()}")
    assert code not in other.get_data(as_text=True)


def _out(
    as_user: Callable[[str], Browser], engine: sa.Engine, **kw: object
) -> tuple[str, int, Browser]:
    code, delivery_id = on_run_today(engine, **kw)
    b = as_user("buuta.vonhai")
    b.post("/delivery/run/start", {"day": TODAY.isoformat()}, csrf="/delivery/run")
    return code, delivery_id, b


def test_proof_page(as_user: Callable[[str], Browser], engine: sa.Engine) -> None:
    code, delivery_id, b = _out(as_user, engine, id_number="012345678901")
    path = f"/delivery/{delivery_id}/proof"
    form = {
        "recipient_name": "Lâm Văn Sùng",
        "relation": "self",
        "id_last_digits": "8901",
        "signature": signature_url(),
        "originals_returned": "y",
    }
    # Encoded here as bytes: the test client would spool a body this large to
    # a temporary file that it never closes.
    boundary, body = encode_multipart(
        {
            **form,
            "csrf_token": csrf_token(b.client, path),
            "photo": FileStorage(io.BytesIO(b"\xff\xd8" + b"0" * (5 * 1024 * 1024 + 10)), "p.jpg"),
        }
    )
    big = b.client.post(path, data=body, content_type=f"multipart/form-data; boundary={boundary}")
    assert big.status_code == 422
    wrong = b.post(path, {**form, "id_last_digits": "0000"}, csrf=path)
    assert wrong.status_code == 422
    assert last_event(engine, code) is EventKind.OUT_FOR_DELIVERY
    ok = b.post(path, form, csrf=path)
    assert ok.status_code == 302, ok.get_data(as_text=True)
    assert last_event(engine, code) is EventKind.DELIVERED
    slip = b.client.get(f"/delivery/{delivery_id}/slip.pdf")
    assert slip.status_code == 200 and "Lâm Văn Sùng" in text_of(slip.data)
    assert (
        as_user("buuta.donghy").client.get(f"/delivery/{delivery_id}/slip.pdf").status_code == 404
    )


def test_failed_attempt_page(as_user: Callable[[str], Browser], engine: sa.Engine) -> None:
    with transaction(engine) as s:
        for raw in (
            RouteInput("buuta.vonhai", "X-TRANGXA", "0 1 2 3 4 5 6", "08:00", "11:30", "30"),
        ):
            save_route(s, check_route(s, raw))
    code, delivery_id, b = _out(as_user, engine)
    path = f"/delivery/{delivery_id}/failed"
    assert b.post(path, {"reason": "bogus", "action": "called"}, csrf=path).status_code == 422
    assert b.post(path, {"reason": "other", "action": "called"}, csrf=path).status_code == 422
    assert last_event(engine, code) is EventKind.OUT_FOR_DELIVERY
    ok = b.post(path, {"reason": "not_home", "action": "notice_left"}, csrf=path)
    assert ok.status_code == 302
    assert last_event(engine, code) is EventKind.DELIVERY_FAILED
    with transaction(engine) as s:
        rows = s.scalars(select(Delivery).order_by(col(Delivery.id))).all()
        assert [r.status for r in rows] == [DeliveryStatus.FAILED, DeliveryStatus.SCHEDULED]
        assert rows[1].scheduled_on > TODAY and rows[1].attempt == 2


# -- the citizen's link ----------------------------------------------------------


@pytest.fixture
def citizen_delivery(engine: sa.Engine) -> int:
    with transaction(engine) as s:
        save_route(
            s,
            check_route(
                s, RouteInput("buuta.vonhai", "X-TRANGXA", "0 1 2 3 4", "08:00", "11:30", "30")
            ),
        )
        item = returning_result(s)
        delivery = put_on_run(s, item, "buuta.vonhai", TODAY + timedelta(days=1))
        return delivery.id or 0


def _token(app: Flask, delivery_id: int) -> str:
    return make_token(app.config["SECRET_KEY"], delivery_id)


def test_citizen_page_shows_masked_details(
    app: Flask, browser: Browser, citizen_delivery: int
) -> None:
    page = browser.client.get(f"/c/{_token(app, citizen_delivery)}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "0912345678" not in text and "Nguyễn Thị Phương Thảo" not in text
    assert "09xx xxx 678" in text and "N. T. P. Thảo" in text


def test_altered_and_expired_links(app: Flask, browser: Browser, citizen_delivery: int) -> None:
    token = _token(app, citizen_delivery)
    altered = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    page = browser.client.get(f"/c/{altered}")
    assert page.status_code == 404 and "Traceback" not in page.get_data(as_text=True)
    assert (
        browser.client.get(f"/c/{make_token('other-secret' * 4, citizen_delivery)}").status_code
        == 404
    )
    assert browser.client.get("/c/not-a-token").status_code == 404
    real = clock.time
    try:
        clock.time = lambda: real() - 30 * 86400
        old = _token(app, citizen_delivery)
    finally:
        clock.time = real
    expired = browser.client.get(f"/c/{old}")
    assert expired.status_code == 400
    assert 'lang="vi"' in expired.get_data(as_text=True)


def test_citizen_confirms_and_moves_the_day(
    app: Flask, browser: Browser, engine: sa.Engine, citizen_delivery: int
) -> None:
    token = _token(app, citizen_delivery)
    path = f"/c/{token}"
    assert browser.post(f"{path}/confirm", {}, csrf=path).status_code == 302
    # A Sunday is not a route day, nor a working day; refused, nothing written.
    sunday = TODAY + timedelta(days=(6 - TODAY.weekday()) or 7)
    bad = browser.post(f"{path}/day", {"day": sunday.isoformat()}, csrf=path)
    assert bad.status_code == 422
    assert browser.post(f"{path}/day", {"day": "2020-01-01"}, csrf=path).status_code == 422
    assert browser.post(f"{path}/day", {"day": "garbage"}, csrf=path).status_code == 422
    with transaction(engine) as s:
        assert s.scalars(select(func.count()).select_from(Delivery)).one() == 1
    choices = re.findall(
        r'<option value="([0-9-]+)"', browser.client.get(path).get_data(as_text=True)
    )
    assert choices
    moved = browser.post(f"{path}/day", {"day": choices[0]}, csrf=path)
    assert moved.status_code == 302
    with transaction(engine) as s:
        rows = s.scalars(select(Delivery).order_by(col(Delivery.id))).all()
        assert [r.status for r in rows] == [DeliveryStatus.CANCELLED, DeliveryStatus.SCHEDULED]
        assert rows[1].scheduled_on == date.fromisoformat(choices[0])
    # The old link follows the item to its new delivery.
    assert browser.post(f"{path}/pickup", {}, csrf=path).status_code == 302
    with transaction(engine) as s:
        latest = s.scalars(select(Delivery).order_by(col(Delivery.id).desc())).first()
        assert latest is not None and latest.kind is DeliveryKind.PICKUP
