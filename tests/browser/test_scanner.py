"""The scanner in a real browser: the scanner-input field, offline scans that
sync exactly once with their device time, a conflict shown to the person, and
the page on a phone."""

from __future__ import annotations

import json
import re
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask

from postal_tracker.custody.ledger import Scan, record
from postal_tracker.custody.rules import EventKind
from postal_tracker.db import transaction
from tests.conftest import DEMO_PASSWORD
from tests.custody.helpers import VN, actor, new_item, unit

SCREENSHOT = Path("/tmp/postal-tracker-scanner-390x844.png")


def _log_in(page: Any, username: str) -> None:
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(re.compile(r"/home$"))


def _open_scanner(page: Any) -> int:
    """Open the scanner and wait until its service worker runs and the
    holdings are kept on the phone; return the user's id."""
    page.goto("/scanner/")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    user_id: int = page.evaluate("JSON.parse(document.getElementById('scanner-me').textContent).id")
    _until(
        page,
        f"async () => !!(await ScanQueue.getCache('holdings:{user_id}'))",
        "holdings cached",
    )
    return user_id


def _until(page: Any, script: str, what: str, timeout: float = 15) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = page.evaluate(script)
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for: {what}")


def _scan_with_scanner(page: Any, text: str) -> None:
    """What a USB or Bluetooth scanner does: type into the focused field, then Enter."""
    page.focus("#scan-input")
    page.fill("#scan-input", "")
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def _events(app: Flask, code: str) -> list[dict[str, Any]]:
    with app.extensions["db_engine"].connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT e.client_id, e.kind, e.device_time, e.device_utc_offset_min "
                "FROM custody_event e JOIN item i ON i.id = e.item_id "
                "WHERE i.tracking_code = :c ORDER BY e.seq"
            ),
            {"c": code},
        )
        return [dict(r._mapping) for r in rows]


def _as_utc(value: datetime | str) -> datetime:
    """A stored time as an aware UTC datetime (SQLite gives text, PostgreSQL a datetime)."""
    stored = datetime.fromisoformat(value) if isinstance(value, str) else value
    return stored.replace(tzinfo=UTC) if stored.tzinfo is None else stored.astimezone(UTC)


def _fresh_items(app: Flask, n: int, username: str = "canbo.trangxa") -> list[str]:
    with transaction(app.extensions["db_engine"]) as s:
        return [new_item(s, username).tracking_code for _ in range(n)]


def test_scanning_with_the_scanner_input_field(app: Flask, page: Any) -> None:
    (code,) = _fresh_items(app, 1)
    _log_in(page, "canbo.trangxa")
    _open_scanner(page)
    assert page.evaluate("document.activeElement.id") == "scan-input"

    # A typo is caught at once by the check digit, before any lookup.
    typo = code[:5] + str((int(code[5]) + 1) % 10) + code[6:]
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/api/v1/items/" in r.url else None)
    _scan_with_scanner(page, typo)
    assert "không hợp lệ" in page.inner_text("#scan-message")
    assert page.locator("#item-card").is_hidden()
    _scan_with_scanner(page, "HC12")
    assert "2 chữ cái" in page.inner_text("#scan-message")
    assert asked == []

    _scan_with_scanner(page, code.lower())
    page.wait_for_selector("#item-actions button[data-kind=arrived]")
    assert page.input_value("#scan-input") == code
    kinds = page.eval_on_selector_all("#item-actions button", "bs => bs.map(b => b.dataset.kind)")
    assert kinds == ["handover_offered", "arrived", "departed", "incident_opened"]
    page.click("#item-actions button[data-kind=arrived]")
    page.wait_for_function("document.getElementById('scan-message').textContent.includes('Đã lưu')")
    page.wait_for_function("document.getElementById('unsent-count').textContent === '0'")
    _until(page, "document.querySelectorAll('#queue li').length === 0", "queue emptied")
    events = _events_once(app, code, ["accepted", "arrived"])
    assert [e["kind"] for e in events] == ["accepted", "arrived"]

    # Scanned again: the timeline shows what happened.
    _scan_with_scanner(page, code)
    page.wait_for_selector("#timeline li.kind-arrived", state="attached")
    page.click("#timeline-box summary")
    page.locator("#timeline li.kind-arrived").wait_for(state="visible")
    assert page.locator("#timeline li").count() == 2


def test_offline_scans_sync_exactly_once_with_their_device_time(app: Flask, page: Any) -> None:
    codes = _fresh_items(app, 3)
    _log_in(page, "canbo.trangxa")
    _open_scanner(page)

    page.context.set_offline(True)
    page.wait_for_function("document.getElementById('net-state').classList.contains('offline')")
    for n, code in enumerate(codes, start=1):
        _scan_with_scanner(page, code)
        page.click("#item-actions button[data-kind=departed]")
        page.wait_for_function(f"document.getElementById('unsent-count').textContent === '{n}'")
        assert "Đã lưu" in page.inner_text("#scan-message")
    queued = page.evaluate("ScanQueue.all()")
    assert [q["body"]["tracking_code"] for q in queued] == codes
    assert all(_events(app, c)[-1]["kind"] == "accepted" for c in codes)  # nothing sent yet

    # The page opens again without network, from the service worker's cache,
    # and still knows what is unsent.
    page.reload()
    page.wait_for_function("document.getElementById('unsent-count').textContent === '3'")
    assert page.locator("#queue li.pending").count() == 3

    page.context.set_offline(False)
    page.wait_for_function("document.getElementById('unsent-count').textContent === '0'")
    page.evaluate("PostalScanner.sync()")  # a second pass sends nothing twice
    for entry in queued:
        body = entry["body"]
        events = [e for e in _events(app, body["tracking_code"]) if e["kind"] == "departed"]
        assert len(events) == 1, events
        (event,) = events
        assert event["client_id"] == body["client_id"]
        sent = datetime.fromisoformat(body["device_time"])
        assert _as_utc(event["device_time"]) == sent.astimezone(UTC)
        offset = sent.utcoffset()
        assert offset is not None
        assert event["device_utc_offset_min"] == offset.total_seconds() // 60


def test_a_conflict_is_shown_and_recorded_not_overwritten(app: Flask, page: Any) -> None:
    engine = app.extensions["db_engine"]
    (code,) = _fresh_items(app, 1)
    _log_in(page, "canbo.trangxa")
    _open_scanner(page)
    page.context.set_offline(True)
    _scan_with_scanner(page, code)
    page.click("#item-actions button[data-kind=departed]")
    page.wait_for_function("document.getElementById('unsent-count').textContent === '1'")

    # Meanwhile the item moves on: from another device, it is offered to the post.
    with transaction(engine) as s:
        record(
            s,
            actor(s, "canbo.trangxa", "MC-TRANGXA"),
            Scan(
                client_id=str(uuid.uuid4()),
                tracking_code=code,
                kind=EventKind.HANDOVER_OFFERED,
                device_time=datetime.now(VN),
                receiver_unit_id=unit(s, "BD-VONHAI").id,
            ),
        )

    page.context.set_offline(False)
    page.wait_for_selector("#queue li.conflict")
    assert "Xung đột" in page.inner_text("#queue li.conflict")
    assert "Xung đột" in page.inner_text("#scan-message")
    assert page.inner_text("#unsent-count") == "0"  # sent, and answered
    kinds = [e["kind"] for e in _events(app, code)]
    assert kinds == ["accepted", "handover_offered", "conflict"]
    with engine.connect() as conn:
        alerts = conn.execute(
            sa.text("SELECT count(*) FROM alert WHERE kind = 'custody_conflict'")
        ).scalar_one()
        disputed = conn.execute(
            sa.text("SELECT disputed FROM item WHERE tracking_code = :c"), {"c": code}
        ).scalar_one()
    assert alerts == 1
    assert disputed  # the item waits for a supervisor; the late scan did not win
    # Once seen, the person discards the conflict from the phone.
    page.once("dialog", lambda d: d.accept())
    page.click("#queue li.conflict button.discard")
    page.wait_for_function("document.querySelectorAll('#queue li').length === 0")


def _offered_to_the_hub(app: Flask) -> str:
    """Demo data: the Võ Nhai postal worker offered an item to the provincial hub."""
    with app.extensions["db_engine"].connect() as conn:
        code = conn.execute(
            sa.text(
                "SELECT i.tracking_code FROM item i JOIN unit u ON u.id = i.offered_to_unit_id "
                "WHERE u.code = 'BD-TINH'"
            )
        ).scalar_one()
    return str(code)


def test_the_receiver_of_an_offer_is_offered_to_confirm_it(app: Flask, page: Any) -> None:
    code = _offered_to_the_hub(app)
    _log_in(page, "gdv.tinh")
    _open_scanner(page)
    # Offline, from the offers kept on the phone.
    page.context.set_offline(True)
    _scan_with_scanner(page, code)
    page.wait_for_selector("#item-actions button[data-kind=handover_confirmed]")
    kinds = page.eval_on_selector_all("#item-actions button", "bs => bs.map(b => b.dataset.kind)")
    assert kinds == ["handover_confirmed", "incident_opened"]
    page.click("#item-actions button[data-kind=handover_confirmed]")
    page.wait_for_function("document.getElementById('unsent-count').textContent === '1'")
    page.context.set_offline(False)
    page.wait_for_function("document.getElementById('unsent-count').textContent === '0'")
    _until(page, "document.querySelectorAll('#queue li').length === 0", "queue emptied")
    with app.extensions["db_engine"].connect() as conn:
        holder = conn.execute(
            sa.text(
                'SELECT u.username FROM item i JOIN "user" u ON u.id = i.custodian_user_id '
                "WHERE i.tracking_code = :c"
            ),
            {"c": code},
        ).scalar_one()
    assert holder == "gdv.tinh"


def test_scanner_fits_a_phone(app: Flask, chromium: Any, live_server: str) -> None:
    context = chromium.new_context(
        base_url=live_server,
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    page = context.new_page()
    try:
        _log_in(page, "buuta.vonhai")
        page.goto("/scanner/")
        with app.extensions["db_engine"].connect() as conn:
            code = conn.execute(
                sa.text(
                    'SELECT i.tracking_code FROM item i JOIN "user" u '
                    "ON u.id = i.custodian_user_id WHERE u.username = 'buuta.vonhai'"
                )
            ).scalar_one()
        _scan_with_scanner(page, code)
        page.wait_for_selector("#item-actions button:last-child")
        page.screenshot(path=str(SCREENSHOT), full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page is {width}px wide on a 390px phone"
        for selector in (
            "#scan-input",
            "#scan-form button",
            "#camera-start",
            "#unsent-count",
            "#item-actions button:last-child",
        ):
            box = page.locator(selector).bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 390, selector
        for selector in (
            "#scan-input",
            "#scan-form button",
            "#camera-start",
            "#item-actions button:last-child",
        ):
            assert page.locator(selector).bounding_box()["height"] >= 44, selector
    finally:
        context.close()


def test_a_slip_qr_gives_its_tracking_code(app: Flask, page: Any, tmp_path: Path) -> None:
    """The QR on a slip holds ``<BASE>/V/<TOKEN>``; the page reads the code
    out of the token (postal_tracker/slips/token.py's layout) without network."""
    from postal_tracker import s10
    from postal_tracker.slips.keys import KeyRing
    from postal_tracker.slips.token import sign_slip, slip_url

    now = datetime.now(UTC)
    ring = KeyRing.load_or_create(tmp_path / "keys", now)
    codes = [
        s10.make(prefix, s10.next_issuable(serial), country)
        for prefix, serial, country in [
            ("HC", 1, "VN"),
            ("ZZ", 99_999_000, "ZZ"),
            ("AA", 0, "AA"),
            ("RR", 12_345_678, "VN"),
        ]
    ]
    urls = [slip_url("https://dvc.example.vn", sign_slip(ring, c, 2**48 - 1, now)) for c in codes]
    (held,) = _fresh_items(app, 1)
    _log_in(page, "canbo.trangxa")
    _open_scanner(page)
    decoded = page.evaluate("urls => urls.map(u => PostalScanner.parseScan(u).code)", urls)
    assert decoded == codes
    # Browsers open the URL in lower case; a bare token works too.
    lower = page.evaluate("u => PostalScanner.parseScan(u.toLowerCase()).code", urls[0])
    assert lower == codes[0]
    assert page.evaluate("t => PostalScanner.parseScan(t).error", "HTTP://X/V/ABC") == "bad_code"

    url = slip_url("https://dvc.example.vn", sign_slip(ring, held, 7, now))
    _scan_with_scanner(page, url)
    page.wait_for_selector("#item-actions button[data-kind=arrived]")
    assert page.input_value("#scan-input") == held


def test_location_is_kept_only_with_consent(app: Flask, chromium: Any, live_server: str) -> None:
    without, with_consent = _fresh_items(app, 2)
    context = chromium.new_context(
        base_url=live_server,
        geolocation={"latitude": 21.7946, "longitude": 105.9676, "accuracy": 12},
        permissions=["geolocation"],
    )
    page = context.new_page()
    try:
        _log_in(page, "canbo.trangxa")
        _open_scanner(page)
        assert not page.is_checked("#geo-consent")
        _scan_with_scanner(page, without)
        page.click("#item-actions button[data-kind=arrived]")
        page.wait_for_function("document.getElementById('unsent-count').textContent === '0'")

        page.check("#geo-consent")
        _until(page, "localStorage.getItem('scanner.geo-consent') === 'yes'", "consent kept")
        page.reload()  # the consent is remembered
        assert page.is_checked("#geo-consent")
        _until(page, "PostalScanner.hasPosition()", "a position fix")
        _scan_with_scanner(page, with_consent)
        page.click("#item-actions button[data-kind=arrived]")
        page.wait_for_function("document.getElementById('unsent-count').textContent === '0'")
        _until(page, "document.querySelectorAll('#queue li').length === 0", "queue emptied")
        # The unsent count can read 0 before a click's scan is even queued: wait
        # for the server to have both scans, not for the page.
        data = _arrivals_when_recorded(app, {without, with_consent})
    finally:
        context.close()
    assert "geo" not in data[without]
    assert data[with_consent]["geo"] == {"lat": 21.7946, "lon": 105.9676, "accuracy_m": 12}


def _events_once(app: Flask, code: str, kinds: list[str], timeout: float = 20.0) -> Any:
    """The item's events once they are ``kinds`` (or whatever they are at the
    timeout): the page may say "sent" a moment before the test looks."""
    deadline = time.monotonic() + timeout
    while True:
        events = _events(app, code)
        if [e["kind"] for e in events] == kinds or time.monotonic() > deadline:
            return events
        time.sleep(0.2)


def _arrivals_when_recorded(app: Flask, codes: set[str], timeout: float = 20.0) -> dict[str, Any]:
    """The data of the ``arrived`` events of ``codes``, once all are recorded."""
    deadline = time.monotonic() + timeout
    while True:
        with app.extensions["db_engine"].connect() as conn:
            rows = dict(
                conn.execute(
                    sa.text(
                        "SELECT i.tracking_code, e.data FROM custody_event e "
                        "JOIN item i ON i.id = e.item_id WHERE e.kind = 'arrived'"
                    )
                ).all()
            )
        if codes <= set(rows) or time.monotonic() > deadline:
            return {c: json.loads(v) if isinstance(v, str) else v for c, v in rows.items()}
        time.sleep(0.2)


def _switch_user(page: Any, username: str) -> None:
    """Log out and in as ``username`` without the page seeing it (another tab)."""
    request = page.context.request
    token = re.search(r'name="csrf_token" value="([^"]+)"', request.get("/home").text())
    assert token
    request.post("/logout", form={"csrf_token": token.group(1)})
    form = request.get("/login").text()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form)
    assert token
    answer = request.post(
        "/login",
        form={"csrf_token": token.group(1), "username": username, "password": DEMO_PASSWORD},
        max_redirects=0,
    )
    assert answer.status == 302, answer.text()


def test_a_shared_phone_sends_each_persons_scans_under_their_own_login(
    app: Flask, page: Any
) -> None:
    (code,) = _fresh_items(app, 1)
    _log_in(page, "canbo.trangxa")
    _open_scanner(page)
    page.context.set_offline(True)
    _scan_with_scanner(page, code)
    page.click("#item-actions button[data-kind=arrived]")
    page.wait_for_function("document.getElementById('unsent-count').textContent === '1'")
    # Someone else logs in on the phone before the network returns.
    _switch_user(page, "canbo.trungvuong")
    page.context.set_offline(False)
    page.wait_for_function("document.getElementById('net-state').classList.contains('online')")
    _until(
        page,
        "document.getElementById('scan-message').textContent.includes('Người khác')",
        "the page says whose session it is",
    )
    assert [e["kind"] for e in _events(app, code)] == ["accepted"]  # not sent as him
    page.goto("/scanner/")  # his own scanner: her scan waits, visibly
    page.wait_for_selector("#queue-others:not([hidden])")
    assert page.inner_text("#unsent-count") == "1"
    assert page.locator("#queue li").count() == 0
    assert [e["kind"] for e in _events(app, code)] == ["accepted"]
    _switch_user(page, "canbo.trangxa")
    page.goto("/scanner/")
    page.wait_for_function("document.getElementById('unsent-count').textContent === '0'")
    _until(page, "document.getElementById('queue-others').hidden", "nothing waits")
    assert [e["kind"] for e in _events_once(app, code, ["accepted", "arrived"])] == [
        "accepted",
        "arrived",
    ]


def test_a_double_click_on_confirm_is_one_confirmation(app: Flask, page: Any) -> None:
    """Observation 1 of issue 10: a double tap on "Xác nhận tiếp nhận" sent two
    confirmations; the second disputed the item. The button is off while the
    first is saved, and one request, one event, no dispute come of it."""
    code = _offered_to_the_hub(app)
    before = len(_events(app, code))
    _log_in(page, "gdv.tinh")
    _open_scanner(page)
    posted: list[str] = []
    page.on(
        "request",
        lambda r: posted.append(r.url) if r.method == "POST" and "/scans" in r.url else None,
    )
    _scan_with_scanner(page, code)
    page.wait_for_selector("#item-actions button[data-kind=handover_confirmed]")
    page.dblclick("#item-actions button[data-kind=handover_confirmed]")
    page.wait_for_function("document.getElementById('scan-message').textContent.includes('Đã lưu')")
    page.wait_for_function("document.getElementById('unsent-count').textContent === '0'")
    _until(page, "document.querySelectorAll('#queue li').length === 0", "queue emptied")
    events = _events(app, code)
    assert [e["kind"] for e in events[before:]] == ["handover_confirmed"]
    assert len(posted) == 1, posted
    with app.extensions["db_engine"].connect() as conn:
        disputed, holder = conn.execute(
            sa.text(
                'SELECT i.disputed, u.username FROM item i JOIN "user" u '
                "ON u.id = i.custodian_user_id WHERE i.tracking_code = :c"
            ),
            {"c": code},
        ).one()
    assert not disputed and holder == "gdv.tinh"
