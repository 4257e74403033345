"""Recording custody events (idempotency check, row lock, rules, hash chain,
projection) against a bare INSERT of the same row, on SQLite, same run."""

from __future__ import annotations

import statistics
import tempfile
import time
import tracemalloc
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from postal_tracker import demo, migrate
from postal_tracker.config import Settings
from postal_tracker.custody.ledger import Scan, record
from postal_tracker.custody.models import Item
from postal_tracker.custody.rules import EventKind
from postal_tracker.db import make_engine, transaction

N = 500
VN = ZoneInfo("Asia/Ho_Chi_Minh")


def _setup(root: Path) -> tuple[sa.Engine, str]:
    url = f"sqlite:///{root / 'bench.sqlite3'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    settings = Settings(env="testing", instance_path=root, database_url=url, secret_key="b" * 64)
    with transaction(engine) as s:
        demo.load(s, settings)
    return engine, url


def _ledger(engine: sa.Engine) -> list[float]:
    from postal_tracker.auth.service import find_user
    from postal_tracker.custody.actors import actor_for

    with transaction(engine) as s:
        item = s.scalars(sa.select(Item).where(Item.phase == "accepted")).first()
        assert item is not None
        user = find_user(s, "canbo.trangxa")
        assert user is not None
        actor = actor_for(s, user)
        code = item.tracking_code
    times = []
    for i in range(N):
        kind = EventKind.ARRIVED if i % 2 else EventKind.DEPARTED
        t0 = time.perf_counter()
        with transaction(engine) as s:
            record(s, actor, Scan(str(uuid.uuid4()), code, kind, datetime.now(VN)))
        times.append(time.perf_counter() - t0)
    return times


def _bare(engine: sa.Engine) -> list[float]:
    with engine.begin() as conn:
        conn.execute(
            sa.text("CREATE TABLE bare (id INTEGER PRIMARY KEY, client_id TEXT, body TEXT)")
        )
    times = []
    for _ in range(N):
        t0 = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(
                sa.text("INSERT INTO bare (client_id, body) VALUES (:c, :b)"),
                {"c": str(uuid.uuid4()), "b": "x" * 200},
            )
        times.append(time.perf_counter() - t0)
    return times


def run() -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory() as tmp:
        engine, _ = _setup(Path(tmp))
        base = _bare(engine)
        tracemalloc.start()
        real = _ledger(engine)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        engine.dispose()
    b, r = statistics.median(base), statistics.median(real)
    return [
        {
            "name": "bare INSERT + commit (SQLite, baseline)",
            "n": N,
            "median_ms": b * 1000,
            "p99_ms": sorted(base)[int(N * 0.99)] * 1000,
            "ratio": 1.0,
            "peak_mib": "",
        },
        {
            "name": "ledger.record + commit (SQLite)",
            "n": N,
            "median_ms": r * 1000,
            "p99_ms": sorted(real)[int(N * 0.99)] * 1000,
            "ratio": r / b,
            "peak_mib": peak / 2**20,
        },
    ]
