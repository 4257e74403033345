"""A manifest of 100 items confirmed in one request (POST
/api/v1/manifests/<ref>/receipt), against 100 single confirmations
(POST /api/v1/scans) of the same kind of items, same app, same run.

On SQLite always; also on PostgreSQL when POSTAL_TRACKER_TEST_DATABASE_URL
names a server (a scratch database is created and dropped). Goal: the bag's
one request in 1 s or less. With three timed rounds, "p99_ms" is the slowest.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from postal_tracker import demo, migrate
from postal_tracker.app import create_app
from postal_tracker.auth.service import find_user
from postal_tracker.config import Settings
from postal_tracker.custody.actors import actor_for
from postal_tracker.custody.ledger import Scan, record
from postal_tracker.custody.rules import EventKind
from postal_tracker.db import make_engine, transaction
from postal_tracker.intake.models import DeliveryPreference
from postal_tracker.intake.service import DocumentLine, IntakeRecord, take_in
from postal_tracker.units.models import Unit

N = 100
ROUNDS = 3
GOAL_S = 1.0
VN = ZoneInfo("Asia/Ho_Chi_Minh")
GIVER, OFFICE, RECEIVER = "canbo.trangxa", "MC-TRANGXA", "buuta.vonhai"


@contextmanager
def _database(root: Path, pg_url: str) -> Iterator[str]:
    if not pg_url:
        yield f"sqlite:///{root / 'bench-manifest.sqlite3'}"
        return
    name = f"pt_bench_manifest_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(pg_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _items(engine: sa.Engine, n: int) -> list[str]:
    with transaction(engine) as s:
        office = s.scalars(sa.select(Unit).where(Unit.code == OFFICE)).one()
        agency = s.scalars(sa.select(Unit).where(Unit.code == "SCT")).one()
        giver = find_user(s, GIVER)
        assert giver is not None and office.id and agency.id
        actor = actor_for(s, giver, office.id)
        codes = []
        for _ in range(n):
            _, item = take_in(
                s,
                actor,
                IntakeRecord(
                    sender_name="Người gửi thử",
                    sender_phone="+84912345678",
                    sender_address="Xã Tràng Xá",
                    sender_id_number="",
                    authorised=False,
                    principal_name="",
                    procedure_code="2.000633",
                    procedure_name="Thủ tục thử",
                    procedure_field="",
                    agency_id=agency.id,
                    documents=(DocumentLine("Đơn", 1, 0, 0, 2),),
                    fee_vnd=0,
                    postage_vnd=0,
                    seal_number="NT-BENCH",
                    delivery_preference=DeliveryPreference.HOME,
                    delivery_address="",
                    note="",
                    intake_unit_id=office.id,
                ),
                client_id=str(uuid.uuid4()),
                device_time=datetime.now(VN),
                tracking_prefix="HC",
            )
            codes.append(item.tracking_code)
        return codes


def _token(client: FlaskClient, username: str) -> dict[str, str]:
    r = client.post("/api/v1/tokens", json={"username": username, "password": demo.DEMO_PASSWORD})
    assert r.status_code == 201, r.get_json()
    return {"Authorization": f"Bearer {r.get_json()['token']}"}


def _now() -> str:
    return datetime.now(VN).isoformat()


def _offered_bag(client: FlaskClient, giver: dict[str, str], codes: list[str]) -> str:
    r = client.post("/api/v1/manifests", json={"client_id": uuid.uuid4().hex}, headers=giver)
    ref: str = r.get_json()["reference"]
    for code in codes:
        r = client.post(
            f"/api/v1/manifests/{ref}/items", json={"tracking_code": code}, headers=giver
        )
        assert r.status_code == 200, r.get_json()
    r = client.post(
        f"/api/v1/manifests/{ref}/offer",
        json={"client_id": uuid.uuid4().hex, "device_time": _now(), "receiver_username": RECEIVER},
        headers=giver,
    )
    assert r.status_code == 201, r.get_json()
    return ref


def _singles_offered(engine: sa.Engine, codes: list[str]) -> dict[str, int]:
    """Each item offered on its own; the offer event id by code."""
    offers = {}
    with transaction(engine) as s:
        giver, receiver = find_user(s, GIVER), find_user(s, RECEIVER)
        assert giver is not None and receiver is not None
        actor = actor_for(s, giver)
        for code in codes:
            answer = record(
                s,
                actor,
                Scan(
                    str(uuid.uuid4()),
                    code,
                    EventKind.HANDOVER_OFFERED,
                    datetime.now(VN),
                    receiver_user_id=receiver.id,
                ),
            )
            assert answer.event_id is not None
            offers[code] = answer.event_id
    return offers


def _measure(url: str, root: Path) -> tuple[list[float], list[float], int, int]:
    migrate.upgrade(url)
    settings = Settings(
        env="testing",
        instance_path=root,
        database_url=url,
        secret_key="b" * 64,
        ratelimit_enabled=False,
    ).resolved()
    engine = make_engine(url)
    with transaction(engine) as s:
        demo.load(s, settings)
    engine.dispose()
    app = create_app(settings)
    engine = app.extensions["db_engine"]
    client = app.test_client()
    giver, receiver = _token(client, GIVER), _token(client, RECEIVER)
    bag_times: list[float] = []
    single_times: list[float] = []
    bag_peak = single_peak = 0
    # Timed rounds run without tracemalloc (it slows Python down); one more
    # round of each measures the peak memory.
    for round_ in range(ROUNDS + 1):
        traced = round_ == ROUNDS
        codes = _items(engine, N)
        ref = _offered_bag(client, giver, codes)
        body = {"client_id": uuid.uuid4().hex, "device_time": _now(), "codes": codes}
        path = f"/api/v1/manifests/{ref}/receipt"
        elapsed, peak, r = _timed(traced, partial(client.post, path, json=body, headers=receiver))
        assert r.status_code == 201 and len(r.get_json()["confirmed"]) == N, r.get_json()
        if traced:
            bag_peak = peak
        else:
            bag_times.append(elapsed)

        codes = _items(engine, N)
        offers = _singles_offered(engine, codes)

        elapsed, peak, _ = _timed(traced, partial(_singles, client, offers, receiver))
        if traced:
            single_peak = peak
        else:
            single_times.append(elapsed)
    engine.dispose()
    return bag_times, single_times, bag_peak, single_peak


def _singles(client: FlaskClient, offers: dict[str, int], receiver: dict[str, str]) -> None:
    for code, offer in offers.items():
        r = client.post(
            "/api/v1/scans",
            json={
                "client_id": uuid.uuid4().hex,
                "tracking_code": code,
                "kind": "handover_confirmed",
                "device_time": _now(),
                "follows": offer,
            },
            headers=receiver,
        )
        assert r.status_code == 201, r.get_json()


def _timed(traced: bool, work: Callable[[], Any]) -> tuple[float, int, Any]:
    """Seconds taken, peak traced bytes (0 unless ``traced``), and the result."""
    if traced:
        tracemalloc.start()
    t0 = time.perf_counter()
    result = work()
    elapsed = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] if traced else 0
    if traced:
        tracemalloc.stop()
    return elapsed, peak, result


def run() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    targets = [("SQLite", "")]
    pg_url = os.environ.get("POSTAL_TRACKER_TEST_DATABASE_URL", "")
    if pg_url:
        targets.append(("PostgreSQL", pg_url))
    for label, server in targets:
        with tempfile.TemporaryDirectory() as tmp, _database(Path(tmp), server) as url:
            bag, single, bag_peak, single_peak = _measure(url, Path(tmp))
        b, s = statistics.median(bag), statistics.median(single)
        rows.append(
            {
                "name": f"100 single confirmations, 100 requests ({label}, baseline)",
                "n": ROUNDS,
                "median_ms": s * 1000,
                "p99_ms": max(single) * 1000,
                "ratio": 1.0,
                "peak_mib": single_peak / 2**20,
            }
        )
        rows.append(
            {
                "name": f"manifest of 100 received in 1 request ({label}; goal <= {GOAL_S:.0f} s)",
                "n": ROUNDS,
                "median_ms": b * 1000,
                "p99_ms": max(bag) * 1000,
                "ratio": b / s,
                "peak_mib": bag_peak / 2**20,
            }
        )
    return rows
