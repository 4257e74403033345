"""The real scan endpoint (token auth, validation, scope, custody rules, hash
chain, projection) against a bare Flask endpoint doing one INSERT, both under
gunicorn with 3 workers on PostgreSQL, 8 concurrent clients, same run.

The machine is shared, and its speed drifts by a factor of two within minutes.
So the two servers run side by side and are loaded in turns: several short
rounds, alternating which goes first. Each round gives one ratio (scan over
bare); the figure is the median of those ratios, beside their range.

With ``--baseline-tree DIR`` (``python -m bench scan --baseline-tree DIR``),
the app of another checkout (e.g. ``git worktree add DIR <commit>``), served by
its own gunicorn from that tree on the same database, is loaded in the same
alternating rounds, and its ratio printed beside this tree's: a before and
after measured in one run.

Needs PostgreSQL: POSTAL_TRACKER_TEST_DATABASE_URL (default: the local server).
"""

from __future__ import annotations

import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
VN = ZoneInfo("Asia/Ho_Chi_Minh")
PG = os.environ.get(
    "POSTAL_TRACKER_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
CLIENTS = 8
ROUNDS = 6
SECONDS = 4.0  # per endpoint and round
ITEMS = 64

sys.path.insert(0, str(ROOT))
from scripts.crash_test import Server, free_port, make_items, post  # noqa: E402


def _load(
    port: int, path: str, make_body: Any, token: str | None, seconds: float = SECONDS
) -> list[float]:
    latencies: list[float] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def worker(n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        i = 0
        mine: list[float] = []
        while time.monotonic() < stop:
            body = json.dumps(make_body(n, i))
            t0 = time.perf_counter()
            conn.request("POST", path, body=body, headers=headers)
            r = conn.getresponse()
            r.read()
            mine.append(time.perf_counter() - t0)
            if r.status not in (200, 201):
                raise RuntimeError(f"{path}: {r.status}")
            i += 1
        conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies


def _row(name: str, lat: list[float], ratios: list[float] | None) -> dict[str, Any]:
    rps = len(lat) / (SECONDS * ROUNDS)
    lat.sort()
    row: dict[str, Any] = {
        "name": name,
        "n": len(lat),
        "req_per_s": rps,
        "p50_ms": statistics.median(lat) * 1000,
        "p99_ms": lat[int(len(lat) * 0.99)] * 1000,
        "ratio": statistics.median(ratios) if ratios else 1.0,
    }
    if ratios:
        row["ratio_min"], row["ratio_max"] = min(ratios), max(ratios)
    return row


def run() -> list[dict[str, Any]]:
    name = f"pt_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = make_url(PG).set(database=name).render_as_string(hide_password=False)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            env = dict(
                os.environ,
                POSTAL_TRACKER_DATABASE_URL=url,
                POSTAL_TRACKER_SECRET_KEY="b" * 64,
                POSTAL_TRACKER_INSTANCE_PATH=tmp,
                POSTAL_TRACKER_RATELIMIT_ENABLED="false",
                BARE_DATABASE_URL=url,
            )
            subprocess.run(
                [str(BIN / "postal-tracker"), "migrate"],
                env=env,
                check=True,
                stdout=subprocess.DEVNULL,
            )
            subprocess.run(
                [str(BIN / "postal-tracker"), "demo-data"],
                env=env,
                check=True,
                stdout=subprocess.DEVNULL,
            )
            codes = make_items(env, ITEMS)
            engine = sa.create_engine(url, poolclass=NullPool)
            with engine.begin() as conn:
                conn.exec_driver_sql(
                    "CREATE TABLE bare_scan "
                    "(id serial PRIMARY KEY, client_id text UNIQUE, body text)"
                )
            engine.dispose()

            bare = Server(env, free_port(), 3, app="bench.bare_app:app")
            servers = {"POST /api/v1/scans": Server(env, free_port(), 3)}
            tree = os.environ.get("BENCH_BASELINE_TREE")
            if tree:
                base = Path(tree).resolve()
                # Its own package first on the path (the editable install maps
                # postal_tracker to this tree otherwise).
                base_env = dict(env, PYTHONPATH=str(base))
                servers[f"POST /api/v1/scans at {base.name} (before)"] = Server(
                    base_env, free_port(), 3, cwd=base
                )
            bare.start()
            for server in servers.values():
                server.start()
            try:
                status, answer = post(
                    next(iter(servers.values())).port,
                    "/api/v1/tokens",
                    {"username": "canbo.trangxa", "password": "demo-pass-2026"},
                )
                assert status == 201, answer
                token = str(answer["token"])

                def scan(n: int, i: int) -> dict[str, Any]:
                    return {
                        "client_id": str(uuid.uuid4()),
                        "tracking_code": codes[(n * 8 + i) % ITEMS],
                        "kind": "departed" if i % 2 else "arrived",
                        "device_time": datetime.now(VN).isoformat(),
                    }

                def load_bare(seconds: float = SECONDS) -> list[float]:
                    return _load(
                        bare.port,
                        "/bare",
                        lambda n, i: {"client_id": str(uuid.uuid4())},
                        None,
                        seconds,
                    )

                def load_real(port: int, seconds: float = SECONDS) -> list[float]:
                    return _load(port, "/api/v1/scans", scan, token, seconds)

                # Warm up: every worker's pool, prepared statements and caches.
                load_bare(1.0)
                for server in servers.values():
                    load_real(server.port, 1.0)
                bare_lat: list[float] = []
                real_lat: dict[str, list[float]] = {name: [] for name in servers}
                ratios: dict[str, list[float]] = {name: [] for name in servers}
                names = [None, *servers]  # None: the bare endpoint
                for r in range(ROUNDS):
                    # Each round starts with the next one: none is always first.
                    got: dict[str | None, list[float]] = {}
                    for name in names[r % len(names) :] + names[: r % len(names)]:
                        got[name] = load_bare() if name is None else load_real(servers[name].port)
                    bare_lat += got[None]
                    for name in servers:
                        ratios[name].append(len(got[name]) / len(got[None]))
                        real_lat[name] += got[name]
            finally:
                bare.kill()
                for server in servers.values():
                    server.kill()
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return [
        _row("bare Flask INSERT endpoint (baseline)", bare_lat, None),
        *(_row(name, real_lat[name], ratios[name]) for name in real_lat),
    ]
