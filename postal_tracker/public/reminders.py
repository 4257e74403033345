"""Reminding citizens the day before their delivery: one notice per delivery
and day, however often the job runs (the outbox deduplicates by key)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import col, select

from postal_tracker.config import Settings
from postal_tracker.custody.models import Item
from postal_tracker.db import transaction
from postal_tracker.delivery.links import citizen_url
from postal_tracker.delivery.models import Delivery, DeliveryStatus
from postal_tracker.delivery.notices import notify_citizen, window_text
from postal_tracker.intake.models import Dossier

REMINDER = "delivery_reminder"


def reminder_key(delivery: Delivery) -> str:
    return f"delivery-{delivery.id}-reminder-{delivery.scheduled_on.isoformat()}"


def remind_tomorrow(engine: Engine, today: date, settings: Settings) -> int:
    """Queue a reminder for every delivery scheduled for the day after
    ``today``; returns how many deliveries were reminded (counted again on a
    rerun, but the outbox keeps one notice per key)."""
    tomorrow = today + timedelta(days=1)
    with transaction(engine) as session:
        query = (
            select(Delivery, Item, Dossier)
            .join(Item, col(Item.id) == col(Delivery.item_id))
            .join(Dossier, col(Dossier.id) == col(Delivery.dossier_id))
            .where(Delivery.status == DeliveryStatus.SCHEDULED, Delivery.scheduled_on == tomorrow)
            .order_by(col(Delivery.id))
        )
        if session.get_bind().dialect.name == "postgresql":
            # A second scheduler skips the rows this one is reminding.
            query = query.with_for_update(skip_locked=True, of=Delivery)
        rows = session.execute(query).all()
        for delivery, item, dossier in rows:
            assert delivery.id is not None
            notify_citizen(
                session,
                dossier,
                REMINDER,
                {
                    "tracking_code": item.tracking_code,
                    "date": delivery.scheduled_on.isoformat(),
                    "window": window_text(delivery.window_start, delivery.window_end),
                    "link": citizen_url(settings.base_url, settings.secret_key, delivery.id),
                },
                dedupe_key=reminder_key(delivery),
            )
        return len(rows)
