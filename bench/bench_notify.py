"""Benchmark: the outbox relay's messages per second to a local SMTP server
(aiosmtpd on 127.0.0.1), against raw ``smtplib`` sends of the same messages over
one connection, in the same run.

The relay does per message what the baseline does not: a claim per batch, and
a transaction recording each send (SQLite, ``synchronous=FULL``). It keeps one
SMTP connection open across the batch, like the baseline.

Rates come from untraced runs; peak memory from a second run on as many fresh
messages under ``tracemalloc`` (which slows code down, so it is not timed).
``python -m bench.bench_notify`` prints the rows.
"""

from __future__ import annotations

import smtplib
import socket
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlmodel import col, select

from postal_tracker import demo, migrate
from postal_tracker.config import Settings
from postal_tracker.custody.models import Item
from postal_tracker.db import make_engine, transaction
from postal_tracker.intake.models import Dossier
from postal_tracker.notify.channels import Outgoing, build_channels, close_channels
from postal_tracker.notify.channels.email_message import email_message
from postal_tracker.notify.models import Medium, OutboxMessage, OutboxStatus
from postal_tracker.notify.outbox import enqueue_notice
from postal_tracker.notify.relay import RelayStats, relay_once

N = 300
BATCH = 50
SENDER = "Bưu điện <thongbao@buudien.example.vn>"


class Sink:
    """An SMTP server that counts what it receives."""

    def __init__(self) -> None:
        self.received = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.received += 1
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _setup(root: Path, port: int) -> tuple[sa.Engine, Settings]:
    url = f"sqlite:///{root / 'bench.sqlite3'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    settings = Settings(env="testing", instance_path=root, database_url=url, secret_key="b" * 64)
    with transaction(engine) as s:
        demo.load(s, settings)
    settings = replace(
        settings,
        notify_channels="smtp",
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_starttls=False,
        smtp_sender=SENDER,
    )
    return engine, settings


def _enqueue(engine: sa.Engine, tag: str) -> list[Outgoing]:
    """N email notices (their SMS twins stay queued: smtp is the only channel)."""
    with transaction(engine) as s:
        item = s.scalars(select(Item).order_by(col(Item.id))).first()
        assert item is not None
        dossier = s.get(Dossier, item.dossier_id)
        assert dossier is not None
        dossier.sender_email = "thao.nguyen@example.vn"
        for i in range(N):
            enqueue_notice(
                s,
                dossier=dossier,
                kind="delivery_scheduled",
                context={
                    "tracking_code": item.tracking_code,
                    "date": "2026-12-03",
                    "window": "08:00-11:30",
                    "link": f"http://127.0.0.1:5000/c/{tag}{i}",
                },
                dedupe_key=f"bench:{tag}:{i}",
            )
        s.flush()
        rows = s.scalars(
            select(OutboxMessage).where(
                OutboxMessage.medium == Medium.EMAIL,
                OutboxMessage.status == OutboxStatus.PENDING,
            )
        ).all()
        return [Outgoing(m.id or 0, m.medium, m.recipient, m.subject, m.body) for m in rows]


def _baseline(port: int, messages: list[Outgoing]) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as conn:
        for message in messages:
            conn.send_message(email_message(message, SENDER))


def _relay(engine: sa.Engine, settings: Settings) -> None:
    channels = build_channels(settings)
    total = RelayStats()
    try:
        while True:
            stats = relay_once(engine, settings, batch=BATCH, worker_id="bench", channels=channels)
            total.add(stats)
            if not stats.claimed:
                break
    finally:
        close_channels(channels)
    assert total.sent == N, total


def _timed(run: Callable[[], None]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def _peak(run: Callable[[], None]) -> float:
    tracemalloc.start()
    try:
        run()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20


def run() -> list[dict[str, Any]]:
    sink = Sink()
    port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            engine, settings = _setup(Path(tmp), port)
            first = _enqueue(engine, "a")
            base_s = _timed(lambda: _baseline(port, first))
            relay_s = _timed(lambda: _relay(engine, settings))
            second = _enqueue(engine, "b")
            base_peak = _peak(lambda: _baseline(port, second))
            relay_peak = _peak(lambda: _relay(engine, settings))
            engine.dispose()
    finally:
        controller.stop()
    assert sink.received == 4 * N, sink.received
    base_rate, relay_rate = N / base_s, N / relay_s
    return [
        {
            "name": "smtplib, one connection (baseline)",
            "n": N,
            "msgs_per_s": base_rate,
            "per_msg_ms": base_s / N * 1000,
            "ratio": 1.0,
            "peak_mib": base_peak,
        },
        {
            "name": "outbox relay to SMTP (SQLite, batch 50)",
            "n": N,
            "msgs_per_s": relay_rate,
            "per_msg_ms": relay_s / N * 1000,
            "ratio": base_rate / relay_rate,
            "peak_mib": relay_peak,
        },
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
