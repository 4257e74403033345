"""The relay through real channels: an SMTP server and an SMS gateway on
127.0.0.1, retries with backoff, giving up with an alert, files for development,
and settings refused with a clear message."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlmodel import col, select

from postal_tracker.config import ConfigError
from postal_tracker.custody.models import Alert
from postal_tracker.db import transaction, utcnow
from postal_tracker.notify.channels import Outgoing, build_channels
from postal_tracker.notify.models import Medium, OutboxMessage, OutboxStatus
from postal_tracker.notify.relay import relay_once, retry_delay
from tests.notify.conftest import SENDER, relay_settings
from tests.notify.helpers import EMAIL, PHONE, dossier, queue
from tests.notify.servers import SMS_PASSWORD, SMS_USER, Gateway, Mailbox, basic_auth, free_port


def _rows(engine: sa.Engine) -> list[OutboxMessage]:
    with transaction(engine) as s:
        return list(s.scalars(select(OutboxMessage).order_by(col(OutboxMessage.id))))


def _alerts(engine: sa.Engine) -> list[Alert]:
    with transaction(engine) as s:
        return list(s.scalars(select(Alert).where(Alert.kind == "notice_failed")))


def _queue_one(engine: sa.Engine, *, email: str = EMAIL) -> list[OutboxMessage]:
    with transaction(engine) as s:
        return queue(s, dossier(s, email=email), "delivery_scheduled:1:1")


def test_email_and_sms_reach_real_servers(
    app: Flask, engine: sa.Engine, mailbox: tuple[Mailbox, int], gateway: Gateway
) -> None:
    box, port = mailbox
    queued = _queue_one(engine)
    settings = relay_settings(app, smtp_port=port, gateway=gateway)

    stats = relay_once(engine, settings, worker_id="w1")

    assert (stats.claimed, stats.sent, stats.retried, stats.failed) == (2, 2, 0, 0)
    email_row = next(m for m in queued if m.medium == Medium.EMAIL)
    sms_row = next(m for m in queued if m.medium == Medium.SMS)
    [email] = box.messages
    assert email["Subject"] == "Lịch giao kết quả hồ sơ HC123456785VN: ngày 03/12/2026"
    assert email["Message-ID"] == f"<outbox-{email_row.id}@postal-tracker>"
    assert email["X-Outbox-Id"] == str(email_row.id)
    assert email["To"] == EMAIL
    assert "thongbao@buudien.example.vn" in email["From"]
    body = email.get_content()
    assert "giao tận nhà ngày 03/12/2026, trong khung giờ 08:00-11:30" in body
    assert box.envelopes == [("thongbao@buudien.example.vn", [EMAIL])]
    assert box.logins == ["relay"]  # the SMTP credentials were used
    [sms] = gateway.receipts
    assert sms.authorization == basic_auth(SMS_USER, SMS_PASSWORD)
    assert sms.idempotency_key == sms.client_ref == f"outbox-{sms_row.id}"
    assert sms.payload == {
        "to": PHONE,
        "from": "BUUDIEN",
        "text": sms_row.body,
        "client_ref": f"outbox-{sms_row.id}",
    }
    for row in _rows(engine):
        assert row.status == OutboxStatus.SENT
        assert row.attempts == 1
        assert row.sent_at is not None
        assert row.claimed_by is None and row.claimed_until is None
    # Nothing is due any more: a second sweep sends nothing.
    assert relay_once(engine, settings, worker_id="w1").claimed == 0
    assert len(box.messages) == 1 and len(gateway.receipts) == 1


def test_a_gateway_that_fails_twice_is_retried_and_the_sms_sent_once(
    app: Flask, engine: sa.Engine, gateways: Callable[..., Gateway]
) -> None:
    gateway = gateways(fail_first=2)
    [row] = _queue_one(engine, email="")
    settings = relay_settings(app, gateway=gateway)

    sweeps = [relay_once(engine, settings, worker_id="w1") for _ in range(4)]

    assert [(s.sent, s.retried) for s in sweeps] == [(0, 1), (0, 1), (1, 0), (0, 0)]
    assert [r.status for r in gateway.receipts] == [500, 500, 200]
    assert {r.client_ref for r in gateway.receipts} == {f"outbox-{row.id}"}
    assert gateway.raw_counts() == {f"outbox-{row.id}": 1}
    [stored] = _rows(engine)
    assert (stored.status, stored.attempts, stored.last_error) == (OutboxStatus.SENT, 3, "")


def test_a_failed_send_waits_for_its_backoff(
    app: Flask, engine: sa.Engine, gateways: Callable[..., Gateway]
) -> None:
    gateway = gateways(fail_first=1)
    _queue_one(engine, email="")
    settings = relay_settings(app, gateway=gateway, notify_retry_base_seconds=60)
    before = utcnow()

    assert relay_once(engine, settings, worker_id="w1").retried == 1
    [row] = _rows(engine)
    assert row.status == OutboxStatus.PENDING
    assert row.last_error == "SMS gateway answered HTTP 500"
    assert before + timedelta(seconds=59) < row.next_attempt_at < utcnow() + timedelta(seconds=61)
    # Not due yet: nothing is claimed, nothing sent.
    assert relay_once(engine, settings, worker_id="w1").claimed == 0
    assert len(gateway.receipts) == 1


def test_retry_delays_double_up_to_the_cap(app: Flask) -> None:
    settings = relay_settings(app, notify_retry_base_seconds=30, notify_retry_cap_seconds=3600)
    assert [retry_delay(settings, n) for n in range(1, 10)] == [
        30, 60, 120, 240, 480, 960, 1920, 3600, 3600
    ]  # fmt: skip


def test_after_the_last_attempt_a_supervisor_is_alerted(
    app: Flask, engine: sa.Engine, gateways: Callable[..., Gateway]
) -> None:
    gateway = gateways(fail_first=100, fail_status=503)
    _queue_one(engine, email="")
    settings = relay_settings(app, gateway=gateway, notify_max_attempts=3)

    sweeps = [relay_once(engine, settings, worker_id="w1") for _ in range(4)]

    assert [(s.retried, s.failed) for s in sweeps] == [(1, 0), (1, 0), (0, 1), (0, 0)]
    [row] = _rows(engine)
    assert (row.status, row.attempts) == (OutboxStatus.FAILED, 3)
    [alert] = _alerts(engine)
    assert "HC123456785VN" in alert.message and "HTTP 503" in alert.message
    assert "09xx xxx 678" in alert.message
    assert PHONE not in alert.message and "912345678" not in alert.message
    assert alert.unit_id is not None


def test_a_refusal_is_not_retried(
    app: Flask, engine: sa.Engine, gateways: Callable[..., Gateway]
) -> None:
    gateway = gateways(fail_first=1, fail_status=400)
    _queue_one(engine, email="")
    stats = relay_once(engine, relay_settings(app, gateway=gateway), worker_id="w1")
    assert (stats.failed, stats.retried) == (1, 0)
    [row] = _rows(engine)
    assert (row.status, row.attempts) == (OutboxStatus.FAILED, 1)
    assert len(_alerts(engine)) == 1


def test_wrong_gateway_credentials_are_a_refusal(
    app: Flask, engine: sa.Engine, gateway: Gateway
) -> None:
    _queue_one(engine, email="")
    settings = relay_settings(app, gateway=gateway, sms_password="wrong")
    assert relay_once(engine, settings, worker_id="w1").failed == 1
    assert _rows(engine)[0].last_error == "SMS gateway answered HTTP 401"


def test_an_smtp_server_that_is_down_means_a_retry(
    app: Flask, engine: sa.Engine, caplog: pytest.LogCaptureFixture
) -> None:
    _queue_one(engine)
    settings = relay_settings(app, smtp_port=free_port(), channels="smtp")
    stats = relay_once(engine, settings, worker_id="w1")
    assert (stats.claimed, stats.retried) == (1, 1)
    email_row = next(r for r in _rows(engine) if r.medium == Medium.EMAIL)
    assert email_row.status == OutboxStatus.PENDING and email_row.attempts == 1
    assert "ConnectionRefusedError" in email_row.last_error
    # The SMS has no adapter in these settings: it waits, unclaimed.
    sms_row = next(r for r in _rows(engine) if r.medium == Medium.SMS)
    assert (sms_row.status, sms_row.attempts, sms_row.claimed_by) == ("pending", 0, None)
    assert EMAIL not in caplog.text and "912345678" not in caplog.text


def test_the_file_channel_writes_one_file_per_message(app: Flask, engine: sa.Engine) -> None:
    queued = _queue_one(engine)
    settings = relay_settings(app, channels="file")
    assert relay_once(engine, settings, worker_id="w1").sent == 2
    folder = Path(settings.instance_path) / "outbox"
    email_row = next(m for m in queued if m.medium == Medium.EMAIL)
    sms_row = next(m for m in queued if m.medium == Medium.SMS)
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [f"outbox-{email_row.id}.eml", f"outbox-{sms_row.id}.json"]
    )
    email = message_from_bytes(
        (folder / f"outbox-{email_row.id}.eml").read_bytes(), policy=policy.default
    )
    assert email["Message-ID"] == f"<outbox-{email_row.id}@postal-tracker>"
    assert email["Subject"] == email_row.subject
    sms = json.loads((folder / f"outbox-{sms_row.id}.json").read_text())
    assert sms["client_ref"] == f"outbox-{sms_row.id}" and sms["text"] == sms_row.body
    # Sending again (a relay that died before recording) rewrites the same files.
    channels = build_channels(settings)
    channels[Medium.SMS].send(Outgoing(sms_row.id or 0, Medium.SMS, PHONE, "", sms_row.body))
    assert len(list(folder.iterdir())) == 2


def test_file_and_sms_together_send_email_to_files(
    app: Flask, engine: sa.Engine, gateway: Gateway, tmp_path: Path
) -> None:
    _queue_one(engine)
    settings = relay_settings(app, gateway=gateway, channels="file,sms", outbox_dir=tmp_path / "o")
    assert relay_once(engine, settings, worker_id="w1").sent == 2
    assert len(gateway.receipts) == 1
    assert [p.suffix for p in (tmp_path / "o").iterdir()] == [".eml"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"notify_channels": "smtp"}, "POSTAL_TRACKER_SMTP_HOST is not set"),
        (
            {"notify_channels": "smtp", "smtp_host": "mail.example.vn"},
            "POSTAL_TRACKER_SMTP_SENDER must be the sender's address",
        ),
        (
            {"notify_channels": "smtp", "smtp_host": "m", "smtp_sender": SENDER, "smtp_port": 0},
            "POSTAL_TRACKER_SMTP_PORT must be a port number",
        ),
        (
            {
                "notify_channels": "smtp",
                "smtp_host": "m",
                "smtp_sender": SENDER,
                "smtp_username": "u",
            },
            "POSTAL_TRACKER_SMTP_PASSWORD is not set",
        ),
        ({"notify_channels": "sms"}, "POSTAL_TRACKER_SMS_URL must be the gateway's http"),
        (
            {"notify_channels": "sms", "sms_url": "localhost:8080/sms", "sms_sender": "BD"},
            "not 'localhost:8080/sms'",
        ),
        (
            {"notify_channels": "sms", "sms_url": "ftp://gw.example.vn/", "sms_sender": "BD"},
            "POSTAL_TRACKER_SMS_URL",
        ),
        (
            {"notify_channels": "sms", "sms_url": "https://gw.example.vn/send"},
            "POSTAL_TRACKER_SMS_SENDER is not set",
        ),
        ({"notify_channels": "file,pigeon"}, "unknown channel 'pigeon'"),
        ({"notify_channels": " , "}, "POSTAL_TRACKER_NOTIFY_CHANNELS is empty"),
    ],
)
def test_bad_settings_fail_with_a_clear_message(
    app: Flask, engine: sa.Engine, changes: dict[str, object], message: str
) -> None:
    _queue_one(engine)
    settings = replace(app.config["SETTINGS"], **changes)
    with pytest.raises(ConfigError, match=message):
        relay_once(engine, settings, worker_id="w1")
    assert all(r.status == OutboxStatus.PENDING and r.claimed_by is None for r in _rows(engine))
