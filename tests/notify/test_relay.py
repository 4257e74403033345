"""The relay's guarantees: claims that exclude other relays, claims that run out
when a relay dies, nothing lost and nothing sent twice under one claim; two
relays at once; a relay process killed with SIGKILL and restarted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.pool import NullPool
from sqlmodel import col, func, select

from postal_tracker.custody.models import Alert
from postal_tracker.db import make_engine, transaction
from postal_tracker.notify.channels import Channel, Outgoing, build_channels
from postal_tracker.notify.models import Medium, OutboxMessage
from postal_tracker.notify.outbox import enqueue_notice
from postal_tracker.notify.relay import RelayStats, relay_due, relay_once, run_relay
from tests.notify.conftest import relay_settings
from tests.notify.helpers import Clock, dossier, scheduled
from tests.notify.servers import SMS_PASSWORD, SMS_USER, Gateway, Mailbox

RESULT = {"tracking_code": "HC123456785VN", "procedure_name": "Cấp giấy phép kinh doanh"}


def _queue_sms(engine: sa.Engine, count: int) -> list[str]:
    """``count`` SMS notices; their client refs."""
    with transaction(engine) as s:
        d = dossier(s, email="")
        rows = [
            m
            for i in range(count)
            for m in enqueue_notice(
                s,
                dossier=d,
                kind="delivery_scheduled",
                context=scheduled(),
                dedupe_key=f"delivery_scheduled:{i}:1",
            )
        ]
    return [f"outbox-{m.id}" for m in rows]


def _by_status(engine: sa.Engine) -> dict[str, int]:
    with transaction(engine) as s:
        pairs = s.execute(
            select(OutboxMessage.status, func.count()).group_by(col(OutboxMessage.status))
        ).all()
    return {str(status): n for status, n in pairs}


class Killed(BaseException):
    """A relay dying in the middle of its sweep (as SIGKILL would, nothing after
    this point runs)."""


class Slow:
    """A channel whose every send takes ``seconds`` on the relay's clock."""

    def __init__(self, channel: Channel, clock: Clock, seconds: float) -> None:
        self.channel = channel
        self.clock = clock
        self.seconds = seconds

    def send(self, message: Outgoing) -> None:
        self.channel.send(message)
        self.clock.advance(self.seconds)

    def close(self) -> None:
        self.channel.close()


class DiesAfter:
    """A channel that sends ``n`` messages, then the relay dies."""

    def __init__(self, channel: Channel, n: int) -> None:
        self.channel = channel
        self.left = n

    def send(self, message: Outgoing) -> None:
        if self.left == 0:
            raise Killed
        self.left -= 1
        self.channel.send(message)

    def close(self) -> None:
        self.channel.close()


def test_a_relay_that_dies_mid_sweep_loses_nothing_and_repeats_with_the_same_key(
    app: Flask, engine: sa.Engine, gateway: Gateway
) -> None:
    refs = _queue_sms(engine, 6)
    settings = relay_settings(app, gateway=gateway)
    channels = build_channels(settings)
    dying: dict[Medium, Channel] = {Medium.SMS: DiesAfter(channels[Medium.SMS], 2)}

    with pytest.raises(Killed):
        relay_once(engine, settings, worker_id="dead", channels=dying)

    assert gateway.raw_counts() == {refs[0]: 1, refs[1]: 1}
    # Two sent and recorded; the other four still claimed by the dead relay.
    assert _by_status(engine) == {"sent": 2, "pending": 4}
    clock = Clock()
    assert relay_once(engine, settings, worker_id="alive", clock=clock).claimed == 0
    clock.advance(settings.notify_claim_seconds + 1)  # the dead relay's claim runs out
    stats = relay_once(engine, settings, worker_id="alive", clock=clock)
    assert (stats.claimed, stats.sent) == (4, 4)
    assert gateway.raw_counts() == dict.fromkeys(refs, 1)
    assert _by_status(engine) == {"sent": 6}


def test_a_send_the_dead_relay_never_recorded_is_repeated_with_the_same_key(
    app: Flask, engine: sa.Engine, gateways: Callable[..., Gateway]
) -> None:
    gateway = gateways(hold_at=2)
    refs = _queue_sms(engine, 3)
    settings = relay_settings(app, gateway=gateway, notify_timeout_seconds=1)

    # The gateway takes the second SMS and never answers: the relay's send
    # times out after the gateway had it (the worst case for duplicates).
    stats = relay_once(engine, settings, worker_id="w1")
    gateway.release.set()
    assert (stats.sent, stats.retried) == (2, 1)
    assert relay_once(engine, settings, worker_id="w1").sent == 1

    assert sorted(r.client_ref for r in gateway.delivered()) == sorted([*refs, refs[1]])
    assert gateway.deduplicated() == set(refs)
    assert _by_status(engine) == {"sent": 3}


def test_a_relay_stops_before_its_claim_runs_out_and_hands_the_rest_back(
    app: Flask, engine: sa.Engine, gateway: Gateway
) -> None:
    # A claim of 4 s and sends that may hang 1 s: the relay starts no send
    # after 3 s. At 0.4 s a send, the ninth would start at 3.2 s.
    refs = _queue_sms(engine, 10)
    settings = relay_settings(
        app, gateway=gateway, notify_claim_seconds=4, notify_timeout_seconds=1
    )
    clock = Clock()
    slow: dict[Medium, Channel] = {
        Medium.SMS: Slow(build_channels(settings)[Medium.SMS], clock, 0.4)
    }
    first = relay_once(engine, settings, worker_id="w1", channels=slow, clock=clock)
    assert (first.claimed, first.sent, first.released) == (10, 8, 2)
    assert sorted(gateway.raw_counts()) == sorted(refs[:8])
    with transaction(engine) as s:
        claimed = s.scalar(select(func.count()).where(col(OutboxMessage.claimed_by).is_not(None)))
    assert claimed == 0
    # The rows handed back are due at once, for this relay or another.
    while relay_once(engine, settings, worker_id="w2", clock=clock).claimed:
        pass
    assert gateway.raw_counts() == dict.fromkeys(refs, 1)
    with transaction(engine) as s:
        attempts = list(s.scalars(select(OutboxMessage.attempts)))
    assert attempts == [1] * 10  # a message handed back unsent used no attempt


def test_a_message_that_kills_every_relay_runs_out_of_attempts(
    app: Flask, engine: sa.Engine, gateway: Gateway
) -> None:
    _queue_sms(engine, 1)
    settings = relay_settings(app, gateway=gateway, notify_max_attempts=2)
    dying: dict[Medium, Channel] = {Medium.SMS: DiesAfter(build_channels(settings)[Medium.SMS], 0)}
    clock = Clock()
    for _ in range(2):
        with pytest.raises(Killed):
            relay_once(engine, settings, worker_id="doomed", channels=dying, clock=clock)
        clock.advance(settings.notify_claim_seconds + 1)
    stats = relay_once(engine, settings, worker_id="next", clock=clock)
    assert (stats.claimed, stats.failed) == (0, 1)
    assert _by_status(engine) == {"failed": 1}
    assert gateway.receipts == []
    with transaction(engine) as s:
        [alert] = s.scalars(select(Alert).where(Alert.kind == "notice_failed")).all()
    assert "not delivered after 2 attempt(s): the relay stopped while sending it" in alert.message


def _settings_url(app: Flask) -> str:
    return str(app.config["SETTINGS"].database_url)


def test_two_relays_at_once_send_each_message_exactly_once(
    app: Flask, gateways: Callable[..., Gateway]
) -> None:
    """On PostgreSQL the claims use FOR UPDATE SKIP LOCKED; on SQLite BEGIN
    IMMEDIATE serialises them. Either way no message goes out twice."""
    gateway = gateways(delay=0.002)
    url = _settings_url(app)
    engines = [make_engine(url, poolclass=NullPool) for _ in range(2)]
    refs = _queue_sms(engines[0], 120)
    settings = relay_settings(app, gateway=gateway)
    totals = [RelayStats(), RelayStats()]
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def relay(n: int) -> None:
        try:
            start.wait()
            idle = 0
            while idle < 3:  # a few empty sweeps: the other relay may still be busy
                stats = relay_once(engines[n], settings, batch=7, worker_id=f"relay-{n}")
                totals[n].add(stats)
                idle = 0 if stats.claimed else idle + 1
                if not stats.claimed:
                    time.sleep(0.05)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=relay, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    for e in engines:
        e.dispose()
    assert not errors, errors
    counts = gateway.raw_counts()
    assert len(gateway.receipts) == 120  # raw, not deduplicated
    assert counts == dict.fromkeys(refs, 1)
    assert totals[0].sent + totals[1].sent == 120
    assert totals[0].sent > 0 and totals[1].sent > 0, totals  # both did work
    assert totals[0].claimed + totals[1].claimed == 120


def _relay_process(
    app: Flask, gateway: Gateway, tmp_path: Path, *args: str
) -> subprocess.Popen[bytes]:
    settings = app.config["SETTINGS"]
    env = {
        **os.environ,
        "POSTAL_TRACKER_ENV": "testing",
        "POSTAL_TRACKER_INSTANCE_PATH": str(tmp_path),
        "POSTAL_TRACKER_DATABASE_URL": settings.database_url,
        "POSTAL_TRACKER_SECRET_KEY": settings.secret_key,
        "POSTAL_TRACKER_NOTIFY_CHANNELS": "sms",
        "POSTAL_TRACKER_SMS_URL": gateway.url,
        "POSTAL_TRACKER_SMS_USERNAME": SMS_USER,
        "POSTAL_TRACKER_SMS_PASSWORD": SMS_PASSWORD,
        "POSTAL_TRACKER_SMS_SENDER": "BUUDIEN",
        "POSTAL_TRACKER_NOTIFY_CLAIM_SECONDS": "3",
        "POSTAL_TRACKER_NOTIFY_TIMEOUT_SECONDS": "1",
        "POSTAL_TRACKER_NOTIFY_RETRY_BASE_SECONDS": "0",
    }
    command = Path(sys.executable).parent / "postal-tracker"
    with (tmp_path / "relay.log").open("ab") as log:
        return subprocess.Popen(
            [str(command), "relay", *args], env=env, stdout=log, stderr=subprocess.STDOUT
        )


@pytest.mark.slow
def test_a_relay_process_killed_mid_sweep_and_restarted_loses_and_repeats_nothing(
    app: Flask, engine: sa.Engine, gateways: Callable[..., Gateway], tmp_path: Path
) -> None:
    # The gateway holds the answer to its 12th request: the relay process is
    # then mid-sweep, with that SMS taken by the gateway but not recorded.
    gateway = gateways(delay=0.01, hold_at=12)
    refs = _queue_sms(engine, 30)
    process = _relay_process(app, gateway, tmp_path, "--batch", "5", "--interval", "0.2")
    try:
        assert gateway.held.wait(60), (tmp_path / "relay.log").read_text()
        process.send_signal(signal.SIGKILL)
        assert process.wait(10) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    gateway.release.set()
    at_kill = _by_status(engine)
    assert at_kill == {"sent": 11, "pending": 19}  # 12th taken by the gateway, not recorded
    with transaction(engine) as s:
        still_claimed = s.scalar(
            select(func.count()).where(col(OutboxMessage.claimed_by).is_not(None))
        )
    assert still_claimed and still_claimed <= 5  # the dead relay's batch, now orphaned

    # Restarted once the dead relay's claim (3 s) has run out: in this
    # process, on a clock past it (the relay command is tested below).
    later = Clock()
    later.advance(3.5)
    settings = relay_settings(
        app, gateway=gateway, notify_claim_seconds=3, notify_timeout_seconds=1
    )
    run_relay(engine, settings, once=True, batch=5, echo=lambda _: None, clock=later)

    delivered = [r.client_ref for r in gateway.delivered()]
    assert len(delivered) >= len(refs)  # at least once: the held one went twice
    assert len(delivered) == len(refs) + 1
    assert gateway.deduplicated() == set(refs)  # exactly once for a deduplicating gateway
    assert _by_status(engine) == {"sent": 30}
    with transaction(engine) as s:
        rows = list(s.scalars(select(OutboxMessage)))
    assert all(r.claimed_by is None and r.sent_at is not None for r in rows)
    # The repeated message is the held one, with the same key both times.
    [(repeated, twice)] = [(ref, n) for ref, n in gateway.raw_counts().items() if n > 1]
    assert twice == 2
    assert repeated == gateway.receipts[11].client_ref


def test_the_relay_command_sends_what_is_due(app: Flask, engine: sa.Engine) -> None:
    _queue_sms(engine, 3)
    result = app.test_cli_runner().invoke(args=["relay", "--once"])
    assert result.exit_code == 0, result.output
    assert "sent 3, retrying 0, given up 0" in result.output
    assert _by_status(engine) == {"sent": 3}
    folder = Path(app.config["SETTINGS"].instance_path) / "outbox"
    assert len(list(folder.glob("outbox-*.json"))) == 3


def test_the_relay_command_names_a_bad_setting(app: Flask, engine: sa.Engine) -> None:
    _queue_sms(engine, 1)
    app.config["SETTINGS"] = replace(app.config["SETTINGS"], notify_channels="smtp")
    result = app.test_cli_runner().invoke(args=["relay", "--once"])
    assert result.exit_code == 1
    assert "Configuration error: POSTAL_TRACKER_SMTP_HOST is not set" in result.output
    assert _by_status(engine) == {"pending": 1}


def test_relay_due_drains_the_outbox_in_batches_over_one_connection(
    app: Flask, engine: sa.Engine, mailbox: tuple[Mailbox, int]
) -> None:
    box, port = mailbox
    with transaction(engine) as s:
        d = dossier(s)
        for i in range(12):
            enqueue_notice(
                s, dossier=d, kind="result_ready", context=RESULT, dedupe_key=f"result:{i}"
            )
    settings = relay_settings(app, smtp_port=port, channels="smtp")
    stats = relay_due(engine, settings, worker_id="job", batch=5)
    assert (stats.claimed, stats.sent) == (12, 12)
    assert len(box.messages) == 12
    assert box.logins == ["relay"]  # one connection, one login, for three batches
    assert _by_status(engine) == {"sent": 12, "pending": 12}  # the SMS wait for their channel
