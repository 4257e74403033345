"""Reading the code in a photo on the server (phones without BarcodeDetector)."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
import qrcode
from flask.testing import FlaskClient
from PIL import Image
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from postal_tracker.errors import DomainError
from postal_tracker.scanner.decode import decode_photo
from tests.conftest import Browser

SLIP_URL = "HTTP://LOCALHOST/V/" + "AEB2" * 34


def _qr_png(text: str, *, photo: bool = False) -> bytes:
    image = qrcode.make(text, border=4).get_image().convert("L")
    if photo:
        # Like a phone's photo: the code small and off-centre on a grey table.
        table = Image.new("L", (1800, 1400), 170)
        table.paste(image.resize((500, 500)), (900, 500))
        image = table
    out = io.BytesIO()
    image.save(out, format="PNG" if not photo else "JPEG")
    return out.getvalue()


def _post(browser: Browser, data: bytes | None, name: str = "code.png") -> tuple[int, dict]:  # type: ignore[type-arg]
    files = {} if data is None else {"photo": FileStorage(io.BytesIO(data), name)}
    token = browser.client.get("/scanner/").get_data(as_text=True).split('data-csrf="')[1]
    token = token.split('"')[0]
    # Encoded here, in memory: the test client would spool a large body to a
    # temporary file it never closes.
    boundary, body = encode_multipart(files)
    response = browser.client.post(
        "/scanner/decode",
        data=body,
        headers={"X-CSRFToken": token},
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    return response.status_code, response.get_json()


def test_a_slip_qr_is_read_back(as_user: Callable[[str], Browser]) -> None:
    status, body = _post(as_user("buuta.vonhai"), _qr_png(SLIP_URL))
    assert status == 200
    assert body["texts"] == [SLIP_URL]


def test_a_photo_of_a_code_on_a_table_is_read(as_user: Callable[[str], Browser]) -> None:
    status, body = _post(as_user("buuta.vonhai"), _qr_png("HC000000019VN", photo=True), "p.jpg")
    assert status == 200
    assert body["texts"] == ["HC000000019VN"]


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (None, 400),  # nothing sent
        (b"", 400),  # an empty file
        (b"%PDF-1.7 not a picture", 422),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, 422),  # a broken PNG
    ],
)
def test_bad_uploads_get_a_clear_message(
    as_user: Callable[[str], Browser], data: bytes | None, status: int
) -> None:
    got, body = _post(as_user("buuta.vonhai"), data)
    assert got == status
    assert body["error"]["fields"]["photo"]
    assert "ảnh" in body["error"]["message"]  # in Vietnamese, the user's language


def test_a_picture_without_a_code_says_so(as_user: Callable[[str], Browser]) -> None:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 120, 40)).save(out, format="PNG")
    status, body = _post(as_user("buuta.vonhai"), out.getvalue())
    assert status == 422
    assert "Không tìm thấy mã" in body["error"]["message"]


def test_too_large_a_photo_is_refused(as_user: Callable[[str], Browser]) -> None:
    status, body = _post(as_user("buuta.vonhai"), b"\xff\xd8" + b"\x00" * (6 * 1024 * 1024 + 10))
    assert status == 413
    assert body["error"]["fields"]["photo"]


def test_decoding_needs_a_login_and_the_csrf_token(
    client: FlaskClient, as_user: Callable[[str], Browser]
) -> None:
    data = {"photo": (io.BytesIO(_qr_png("x")), "q.png")}
    assert client.post("/scanner/decode", data=data).status_code in (302, 400)
    logged_in = as_user("buuta.vonhai").client
    data = {"photo": (io.BytesIO(_qr_png("x")), "q.png")}
    assert logged_in.post("/scanner/decode", data=data).status_code == 400  # no CSRF token


def test_decode_photo_refuses_what_is_not_an_image() -> None:
    with pytest.raises(DomainError):
        decode_photo(b"GIF89a broken")
    assert decode_photo(_qr_png("HELLO")) == ["HELLO"]
