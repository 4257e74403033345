"""The scheduler: APScheduler (3.x) as a clock only. The database holds what
is due; each job is a thin call into a service that claims its rows, so a
second scheduler or a retried run does nothing twice.

``postal-tracker scheduler`` runs it in a process of its own (one per
deployment; gunicorn workers never start it, and :func:`create_app` does
not); ``postal-tracker serve --with-scheduler`` runs it inside the
development server for convenience (``make run``).

A job that fails is logged (its exception's type and where, never its
message, which may quote personal data) and raises an alert for the
supervisors; the scheduler keeps running. Missed runs are caught up once
(``coalesce``).
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.engine import Engine

from postal_tracker.clock import VN_TZ
from postal_tracker.config import Settings
from postal_tracker.db import Clock, transaction
from postal_tracker.delivery.jobs import run_delivery_jobs
from postal_tracker.notify.relay import new_worker_id, relay_once
from postal_tracker.public.reminders import remind_tomorrow
from postal_tracker.watch.alerts import job_failed
from postal_tracker.watch.service import run_end_of_day, run_watchdogs

log = logging.getLogger(__name__)

JobCall = Callable[[Engine, Settings, datetime], Any]
# A run more than this late (the process was down) is skipped; coalescing
# makes the missed runs of one job a single catch-up run.
MISFIRE_GRACE_SECONDS = 15 * 60
RELAY_WORKER_ID = new_worker_id()


def vn_now() -> datetime:
    return datetime.now(VN_TZ)


# Each job: one call into a service, given the engine, the settings and now.


def relay_outbox(engine: Engine, settings: Settings, now: datetime) -> object:
    return relay_once(engine, settings, worker_id=RELAY_WORKER_ID)


def schedule_deliveries(engine: Engine, settings: Settings, now: datetime) -> object:
    return run_delivery_jobs(engine, now.astimezone(VN_TZ).date(), settings)


def remind_citizens(engine: Engine, settings: Settings, now: datetime) -> object:
    return remind_tomorrow(engine, now.astimezone(VN_TZ).date(), settings)


def watchdogs(engine: Engine, settings: Settings, now: datetime) -> object:
    return run_watchdogs(engine, now, settings.watch_limits)


def end_of_day(engine: Engine, settings: Settings, now: datetime) -> object:
    # The trigger fires Monday to Friday; the service skips public holidays.
    return run_end_of_day(engine, now)


@dataclass(frozen=True)
class JobSpec:
    name: str
    call: JobCall
    trigger: Callable[[], BaseTrigger]


JOBS: tuple[JobSpec, ...] = (
    JobSpec("relay_outbox", relay_outbox, lambda: IntervalTrigger(seconds=5, timezone=VN_TZ)),
    # Every ten minutes, 06:00 included (results ready overnight go out first).
    JobSpec(
        "schedule_deliveries",
        schedule_deliveries,
        lambda: CronTrigger(minute="*/10", timezone=VN_TZ),
    ),
    JobSpec("remind_citizens", remind_citizens, lambda: CronTrigger(hour=18, timezone=VN_TZ)),
    JobSpec("watchdogs", watchdogs, lambda: CronTrigger(minute="*/15", timezone=VN_TZ)),
    JobSpec(
        "end_of_day",
        end_of_day,
        lambda: CronTrigger(day_of_week="mon-fri", hour=17, minute=30, timezone=VN_TZ),
    ),
)


def guarded(
    spec: JobSpec, engine: Engine, settings: Settings, clock: Clock = vn_now
) -> Callable[[], bool]:
    """``spec`` as the scheduler calls it: True when it ran, False when it
    failed (logged, and an alert raised) — it never raises."""

    def run() -> bool:
        now = clock()
        try:
            spec.call(engine, settings, now)
        except Exception as exc:
            # Where it failed, by file, line and function only: neither the
            # message nor the source lines, which may quote personal data.
            where = " < ".join(
                f"{Path(f.filename).name}:{f.lineno} {f.name}"
                for f in reversed(traceback.extract_tb(exc.__traceback__)[-4:])
            )
            log.error("job %s failed: %s at %s", spec.name, type(exc).__name__, where)
            _alert(spec.name, type(exc).__name__, engine, now)
            return False
        return True

    run.__name__ = spec.name
    return run


def _alert(job: str, error: str, engine: Engine, now: datetime) -> None:
    try:
        with transaction(engine) as session:
            job_failed(session, job, error, now)
    except Exception as exc:  # the database itself may be what failed
        log.error("job %s: the failure alert could not be written: %s", job, type(exc).__name__)


def add_jobs(
    scheduler: BaseScheduler,
    engine: Engine,
    settings: Settings,
    clock: Clock = vn_now,
    jobs: tuple[JobSpec, ...] = JOBS,
) -> None:
    for spec in jobs:
        scheduler.add_job(
            guarded(spec, engine, settings, clock),
            trigger=spec.trigger(),
            id=spec.name,
            name=spec.name,
            replace_existing=True,
        )


def build_scheduler(
    engine: Engine, settings: Settings, *, background: bool = False, clock: Clock = vn_now
) -> BaseScheduler:
    """A scheduler holding every job; ``background`` runs it in a thread
    (inside the development server), else ``start()`` blocks."""
    options: dict[str, Any] = {
        "timezone": VN_TZ,
        "job_defaults": {
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": MISFIRE_GRACE_SECONDS,
        },
    }
    scheduler: BaseScheduler = (
        BackgroundScheduler(**options) if background else BlockingScheduler(**options)
    )
    add_jobs(scheduler, engine, settings, clock)
    return scheduler
