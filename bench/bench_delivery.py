"""Scheduling 10,000 ready results onto routes, their notices to citizens
included (the goal: 10 s or less for all of it: the citizen must be told the
day), with peak memory, against a naive scheduler measured in the same run on
the same data: one query per result for its dossier, its commune, its routes
and each candidate day's bookings, and one INSERT each (as a first version
would be). A row without the notices shows what queuing them costs.

The data: 40 communes, each served by one of 20 workers on two or three
weekdays with a capacity of 60 a day, and 10,000 result items taken by the
post (inserted directly: the ledger has its own benchmark).
"""

from __future__ import annotations

import shutil
import tempfile
import time
import tracemalloc
from datetime import date, timedelta
from datetime import time as time_of_day
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, func, select

from postal_tracker import migrate
from postal_tracker.config import Settings
from postal_tracker.custody.models import Item, ItemKind
from postal_tracker.custody.rules import Phase
from postal_tracker.db import make_engine, transaction, utcnow
from postal_tracker.delivery import scheduling
from postal_tracker.delivery.models import (
    Delivery,
    DeliveryKind,
    DeliveryRoute,
    DeliveryStatus,
    DeliveryWorker,
)
from postal_tracker.delivery.scheduling import schedule_ready_results
from postal_tracker.intake.models import DeliveryPreference, Dossier
from postal_tracker.notify.models import OutboxMessage
from postal_tracker.units.kinds import UnitKind
from postal_tracker.units.models import Unit
from postal_tracker.workdays import is_working_day

N = 10_000
NAIVE_N = 1_000  # the naive way on the first results only: it is slow
COMMUNES = 40
WORKERS = 20
TODAY = date(2027, 1, 25)
WEEKDAY_SETS = ("024", "13", "0246")


def _setup(root: Path) -> str:
    url = f"sqlite:///{root / 'bench.sqlite3'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    from postal_tracker.auth.models import User
    from postal_tracker.auth.roles import Role

    with transaction(engine) as s:
        province = Unit(code="P", name="Tỉnh", kind=UnitKind.PROVINCE, path="/")
        agency = Unit(code="A", name="Sở", kind=UnitKind.AGENCY)
        s.add_all([province, agency])
        s.flush()
        communes = [
            Unit(code=f"X{i}", name=f"Xã {i}", kind=UnitKind.COMMUNE, parent_id=province.id)
            for i in range(COMMUNES)
        ]
        s.add_all(communes)
        s.flush()
        offices = [
            Unit(code=f"MC{i}", name=f"Một cửa {i}", kind=UnitKind.COMMUNE_OFFICE, parent_id=c.id)
            for i, c in enumerate(communes)
        ]
        s.add_all(offices)
        workers = [
            User(username=f"w{i}", full_name=f"W {i}", role=Role.POSTAL_WORKER, password_hash="x")
            for i in range(WORKERS)
        ]
        s.add_all(workers)
        s.flush()
        for i, c in enumerate(communes):
            w = workers[i % WORKERS]
            s.add(
                DeliveryRoute(
                    worker_user_id=w.id or 0,
                    commune_id=c.id or 0,
                    weekdays=WEEKDAY_SETS[i % len(WEEKDAY_SETS)],
                    window_start=time_of_day(8),
                    window_end=time_of_day(11, 30),
                )
            )
        s.add_all([DeliveryWorker(user_id=w.id or 0, daily_capacity=60) for w in workers])
        s.flush()
        now = utcnow()
        s.execute(
            sa.insert(Dossier),
            [
                {
                    "sender_name": "Nguyễn Văn A",
                    "sender_phone": "+84912345678",
                    "sender_address": "Thôn 1",
                    "procedure_code": "1",
                    "procedure_name": "Thủ tục",
                    "agency_id": agency.id,
                    "seal_number": "S",
                    "delivery_preference": DeliveryPreference.PICKUP.value
                    if n % 10 == 0
                    else DeliveryPreference.HOME.value,
                    "intake_unit_id": offices[n % COMMUNES].id,
                    "intake_user_id": workers[0].id,
                    "created_at": now,
                }
                for n in range(N)
            ],
        )
        ids = list(s.scalars(select(Dossier.id).order_by(col(Dossier.id))))
        s.execute(
            sa.insert(Item),
            [
                {
                    "tracking_code": f"HC{n:08d}0VN",
                    "dossier_id": d,
                    "kind": ItemKind.RESULT.value,
                    "phase": Phase.RETURNING.value,
                    "custodian_user_id": workers[0].id,
                    "created_at": now,
                    "custody_since": now,
                }
                for n, d in enumerate(ids)
            ],
        )
    engine.dispose()
    return url


def _naive(engine: sa.Engine, limit: int) -> int:
    """One result at a time, each with its own queries."""
    done = 0
    with transaction(engine) as s:
        items = s.scalars(
            select(Item).where(Item.phase == Phase.RETURNING).order_by(col(Item.id)).limit(limit)
        ).all()
        for item in items:
            dossier = s.get(Dossier, item.dossier_id)
            assert dossier is not None
            unit = s.get(Unit, dossier.intake_unit_id)
            while unit is not None and unit.kind is not UnitKind.COMMUNE:
                unit = s.get(Unit, unit.parent_id) if unit.parent_id else None
            if unit is None:
                continue
            routes = s.scalars(
                select(DeliveryRoute).where(DeliveryRoute.commune_id == unit.id)
            ).all()
            day = TODAY
            for _ in range(120):
                if is_working_day(day):
                    for r in routes:
                        if str(day.weekday()) not in r.weekdays:
                            continue
                        cap = s.scalars(
                            select(DeliveryWorker.daily_capacity).where(
                                DeliveryWorker.user_id == r.worker_user_id
                            )
                        ).one()
                        booked = s.scalars(
                            select(func.count())
                            .select_from(Delivery)
                            .where(
                                Delivery.worker_user_id == r.worker_user_id,
                                Delivery.scheduled_on == day,
                            )
                        ).one()
                        if booked < cap:
                            s.add(
                                Delivery(
                                    item_id=item.id or 0,
                                    dossier_id=item.dossier_id,
                                    kind=DeliveryKind.HOME,
                                    status=DeliveryStatus.SCHEDULED,
                                    route_id=r.id,
                                    worker_user_id=r.worker_user_id,
                                    commune_id=unit.id or 0,
                                    scheduled_on=day,
                                    window_start=r.window_start,
                                    window_end=r.window_end,
                                )
                            )
                            s.flush()
                            done += 1
                            break
                    else:
                        day += timedelta(days=1)
                        continue
                    break
                day += timedelta(days=1)
    return done


def run() -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        url = _setup(root)
        naive_path = root / "naive.sqlite3"
        shutil.copyfile(root / "bench.sqlite3", naive_path)
        shutil.copyfile(root / "bench.sqlite3", root / "pristine.sqlite3")
        settings = Settings(
            env="testing", instance_path=root, database_url=url, secret_key="b" * 64
        )

        naive_engine = make_engine(f"sqlite:///{naive_path}")
        t0 = time.perf_counter()
        naive_done = _naive(naive_engine, NAIVE_N)
        naive_s = time.perf_counter() - t0
        naive_engine.dispose()

        # Without the notices first (on a copy), to show what they cost.
        bare_path = root / "bare.sqlite3"
        shutil.copyfile(root / "bench.sqlite3", bare_path)
        bare_engine = make_engine(f"sqlite:///{bare_path}")
        real_notify = scheduling.notify_scheduled_many
        scheduling.notify_scheduled_many = lambda *a, **k: None  # type: ignore[assignment]
        try:
            t0 = time.perf_counter()
            bare_done = schedule_ready_results(bare_engine, TODAY, settings)
            bare_s = time.perf_counter() - t0
        finally:
            scheduling.notify_scheduled_many = real_notify  # type: ignore[assignment]
        bare_engine.dispose()

        engine = make_engine(url)
        t0 = time.perf_counter()
        scheduled = schedule_ready_results(engine, TODAY, settings)
        real_s = time.perf_counter() - t0
        with transaction(engine) as s:
            queued = s.scalar(select(func.count()).select_from(OutboxMessage)) or 0
        engine.dispose()
        # The bench's senders gave no email: one SMS per scheduled result.
        assert queued == scheduled, f"{queued} notices queued for {scheduled} deliveries"
        # Peak memory on a fresh copy, apart: tracemalloc slows Python down.
        mem_path = root / "mem.sqlite3"
        shutil.copyfile(naive_path.with_name("pristine.sqlite3"), mem_path)
        mem_engine = make_engine(f"sqlite:///{mem_path}")
        tracemalloc.start()
        schedule_ready_results(mem_engine, TODAY, settings)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        mem_engine.dispose()
    naive_per = naive_s / max(naive_done, 1)
    real_per = real_s / max(scheduled, 1)
    return [
        {
            "name": f"naive: queries per result ({naive_done:,} results, SQLite, baseline)",
            "n": naive_done,
            "total_s": naive_s,
            "per_result_ms": naive_per * 1000,
            "ratio": 1.0,
            "peak_mib": "",
        },
        {
            "name": f"schedule_ready_results, {N:,} results, notices included "
            "(SQLite; goal ≤ 10 s)",
            "n": scheduled,
            "total_s": real_s,
            "per_result_ms": real_per * 1000,
            "ratio": real_per / naive_per,
            "peak_mib": peak / 2**20,
        },
        {
            "name": f"the same without queuing notices, {N:,} results (SQLite)",
            "n": bare_done,
            "total_s": bare_s,
            "per_result_ms": bare_s / max(bare_done, 1) * 1000,
            "ratio": bare_s / max(bare_done, 1) / naive_per,
            "peak_mib": "",
        },
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
