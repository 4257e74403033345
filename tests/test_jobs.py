"""The scheduler: its job table, each job as the clock calls it, a failing
job that alerts a supervisor while the scheduler keeps running, and the
``postal-tracker scheduler`` process itself relaying a notice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask
from sqlmodel import col, select

from postal_tracker import jobs
from postal_tracker.clock import VN_TZ
from postal_tracker.config import Settings
from postal_tracker.custody.models import Alert
from postal_tracker.db import transaction
from postal_tracker.intake.models import Dossier
from postal_tracker.notify.models import OutboxMessage, OutboxStatus
from postal_tracker.notify.outbox import enqueue_notice
from postal_tracker.public.reminders import REMINDER
from postal_tracker.watch.alerts import JOB_FAILED, root_units
from tests.delivery.helpers import put_on_run, returning_result

MONDAY_NOON = datetime(2027, 1, 25, 12, 0, tzinfo=VN_TZ)


@pytest.fixture
def settings(app: Flask) -> Settings:
    s: Settings = app.config["SETTINGS"]
    return s


def fires_after(name: str, moment: datetime) -> datetime:
    [spec] = [j for j in jobs.JOBS if j.name == name]
    fire: datetime | None = spec.trigger().get_next_fire_time(None, moment)
    assert fire is not None
    return fire


def test_the_job_table() -> None:
    assert [j.name for j in jobs.JOBS] == [
        "relay_outbox",
        "schedule_deliveries",
        "remind_citizens",
        "watchdogs",
        "end_of_day",
    ]
    friday_evening = datetime(2027, 1, 29, 17, 31, tzinfo=VN_TZ)
    assert fires_after("end_of_day", friday_evening) == datetime(2027, 2, 1, 17, 30, tzinfo=VN_TZ)
    assert fires_after("remind_citizens", MONDAY_NOON) == datetime(2027, 1, 25, 18, tzinfo=VN_TZ)
    early = datetime(2027, 1, 25, 5, 55, tzinfo=VN_TZ)
    assert fires_after("schedule_deliveries", early) == datetime(2027, 1, 25, 6, tzinfo=VN_TZ)
    assert fires_after("watchdogs", MONDAY_NOON) == MONDAY_NOON
    assert fires_after("relay_outbox", MONDAY_NOON) - MONDAY_NOON <= timedelta(seconds=5)


def test_the_scheduler_coalesces_missed_runs_and_never_overlaps(
    engine: sa.Engine, settings: Settings
) -> None:
    scheduler = jobs.build_scheduler(engine, settings, background=True)
    scheduler.start(paused=True)  # the job defaults apply once it starts
    try:
        assert {j.id for j in scheduler.get_jobs()} == {j.name for j in jobs.JOBS}
        for job in scheduler.get_jobs():
            assert job.coalesce is True
            assert job.max_instances == 1
            assert job.misfire_grace_time == jobs.MISFIRE_GRACE_SECONDS
        assert str(scheduler.timezone) == "Asia/Ho_Chi_Minh"
    finally:
        scheduler.shutdown(wait=False)


def test_each_job_runs_against_the_database(engine: sa.Engine, settings: Settings) -> None:
    for spec in jobs.JOBS:
        assert jobs.guarded(spec, engine, settings, lambda: MONDAY_NOON)() is True, spec.name
    with transaction(engine) as s:
        assert list(s.scalars(select(Alert).where(Alert.kind == JOB_FAILED))) == []


def test_reminders_go_out_once_for_tomorrows_deliveries(
    engine: sa.Engine, settings: Settings
) -> None:
    with transaction(engine) as s:
        item = returning_result(s)
        tomorrow = put_on_run(s, item, "buuta.vonhai", date(2027, 1, 26))
        put_on_run(s, returning_result(s), "buuta.vonhai", date(2027, 1, 27))  # not tomorrow
        delivery_id = tomorrow.id
    evening = datetime(2027, 1, 25, 18, 0, tzinfo=VN_TZ)
    [spec] = [j for j in jobs.JOBS if j.name == "remind_citizens"]
    for _ in range(2):
        assert jobs.guarded(spec, engine, settings, lambda: evening)()
    with transaction(engine) as s:
        rows = list(s.scalars(select(OutboxMessage).where(OutboxMessage.kind == REMINDER)))
    assert [r.dedupe_key for r in rows] == [f"delivery-{delivery_id}-reminder-2027-01-26"]
    assert "26/01/2027" in rows[0].body and item.tracking_code in rows[0].body


def test_a_failing_job_alerts_the_supervisors_and_the_scheduler_keeps_running(
    engine: sa.Engine, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    ran = threading.Event()
    runs: list[datetime] = []

    def broken(engine: sa.Engine, settings: Settings, now: datetime) -> None:
        raise RuntimeError("0912345678 is not reachable")  # personal data in the message

    def healthy(engine: sa.Engine, settings: Settings, now: datetime) -> None:
        runs.append(now)
        if len(runs) >= 3:
            ran.set()

    every = lambda: IntervalTrigger(seconds=0.2)  # noqa: E731
    scheduler = BackgroundScheduler(timezone=VN_TZ)
    jobs.add_jobs(
        scheduler,
        engine,
        settings,
        jobs=(jobs.JobSpec("broken", broken, every), jobs.JobSpec("healthy", healthy, every)),
    )
    scheduler.start()
    try:
        assert ran.wait(20), "the healthy job stopped running"
        assert scheduler.running
        assert {j.id for j in scheduler.get_jobs()} == {"broken", "healthy"}
    finally:
        scheduler.shutdown(wait=True)
    with transaction(engine) as s:
        alerts = list(s.scalars(select(Alert).where(Alert.kind == JOB_FAILED)))
        roots = [u.id for u in root_units(s)]
    # One alert per root unit (the province) and day, however often it failed.
    assert Counter(a.unit_id for a in alerts) == Counter(roots)
    assert all("broken" in a.message and "RuntimeError" in a.message for a in alerts)
    assert all("0912345678" not in a.message for a in alerts)
    assert "job broken failed: RuntimeError" in caplog.text
    assert "0912345678" not in caplog.text


def test_create_app_starts_no_scheduler(app: Flask) -> None:
    assert not any("APScheduler" in t.name for t in threading.enumerate())
    runner = app.test_cli_runner()
    assert "--with-scheduler" in runner.invoke(args=["serve", "--help"]).output
    assert runner.invoke(args=["scheduler", "--help"]).exit_code == 0


@pytest.mark.slow
def test_the_scheduler_process_relays_a_queued_notice(
    engine: sa.Engine, settings: Settings, tmp_path: Path
) -> None:
    with transaction(engine) as s:
        dossier = s.scalars(select(Dossier).order_by(col(Dossier.id))).first()
        assert dossier is not None
        [sms, *_] = enqueue_notice(
            s,
            dossier=dossier,
            kind="result_ready",
            context={"tracking_code": "HC000000015VN", "procedure_name": "Thử"},
            dedupe_key="test-scheduler-process",
        )
        outbox_id = sms.id
    env = {
        **os.environ,
        "POSTAL_TRACKER_ENV": "testing",
        "POSTAL_TRACKER_DATABASE_URL": settings.database_url,
        "POSTAL_TRACKER_INSTANCE_PATH": str(settings.instance_path),
        "POSTAL_TRACKER_SECRET_KEY": settings.secret_key,
        "POSTAL_TRACKER_NOTIFY_CHANNELS": "file",
    }
    cli = Path(sys.executable).with_name("postal-tracker")
    process = subprocess.Popen(
        [str(cli), "scheduler"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 30
        status = None
        while time.monotonic() < deadline:
            with transaction(engine) as s:
                status = s.get(OutboxMessage, outbox_id).status  # type: ignore[union-attr]
            if status is OutboxStatus.SENT:
                break
            time.sleep(0.5)
        assert status is OutboxStatus.SENT
        assert process.poll() is None, "the scheduler stopped"
    finally:
        process.send_signal(signal.SIGINT)
        try:
            output = process.communicate(timeout=20)[0].decode()
        except subprocess.TimeoutExpired:
            process.kill()
            output = process.communicate()[0].decode()
    assert "Scheduler running 5 jobs" in output
