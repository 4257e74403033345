"""The signed, expiring link in a delivery notice: ``/c/<token>``.

The token holds the delivery id only (no personal data, docs/design.md rule 8),
signed with the app's secret under a salt of its own, so it cannot be forged
or swapped for another kind of token, and it expires.
"""

from __future__ import annotations

from collections.abc import Callable

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

SALT = "delivery-notice-v1"


class LinkExpired(Exception):
    """A genuine link that is too old."""


class LinkInvalid(Exception):
    """Not a link we made (altered, truncated, or signed with another key)."""


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=SALT)


def make_token(secret: str, delivery_id: int) -> str:
    return str(_serializer(secret).dumps(delivery_id))


def read_token(secret: str, token: str, *, max_age_seconds: int) -> int:
    """The delivery id in ``token``; raises :class:`LinkExpired` or :class:`LinkInvalid`."""
    try:
        value = _serializer(secret).loads(token, max_age=max_age_seconds)
    except SignatureExpired:
        raise LinkExpired from None
    except BadSignature:
        raise LinkInvalid from None
    if not isinstance(value, int) or isinstance(value, bool):
        raise LinkInvalid
    return value


def citizen_url(base_url: str, secret: str, delivery_id: int) -> str:
    return f"{base_url.rstrip('/')}/c/{make_token(secret, delivery_id)}"


def citizen_urls(base_url: str, secret: str) -> Callable[[int], str]:
    """:func:`citizen_url` for many deliveries: one signer, its key derived once."""
    serializer = _serializer(secret)
    base = base_url.rstrip("/")

    def url(delivery_id: int) -> str:
        return f"{base}/c/{serializer.dumps(delivery_id)}"

    return url
