"""Building blocks for watch tests: alerts and resolutions read back."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import col, select

from postal_tracker.custody.models import Alert
from postal_tracker.db import transaction
from postal_tracker.watch.models import AlertResolution


def alerts_of(engine: sa.Engine, kind: str, *, item_id: int | None = None) -> list[Alert]:
    with transaction(engine) as s:
        query = select(Alert).where(Alert.kind == kind).order_by(col(Alert.id))
        if item_id is not None:
            query = query.where(Alert.item_id == item_id)
        return list(s.scalars(query))


def resolutions(engine: sa.Engine, alert_id: int) -> list[AlertResolution]:
    with transaction(engine) as s:
        return list(s.scalars(select(AlertResolution).where(AlertResolution.alert_id == alert_id)))
