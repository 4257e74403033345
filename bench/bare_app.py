"""The baseline for the scan benchmark: a bare Flask endpoint doing one INSERT."""

from __future__ import annotations

import os

import sqlalchemy as sa
from flask import Flask, request

# No pre-ping: a bare endpoint does its one INSERT and nothing else (the app
# pings a pooled connection only after it sat idle; see postal_tracker.db).
engine = sa.create_engine(os.environ["BARE_DATABASE_URL"])
app = Flask(__name__)


@app.post("/bare")
def bare() -> tuple[dict[str, object], int]:
    body = request.get_json(force=True)
    with engine.begin() as conn:
        row = conn.execute(
            sa.text("INSERT INTO bare_scan (client_id, body) VALUES (:c, :b) RETURNING id"),
            {"c": body["client_id"], "b": str(body)},
        ).one()
    return {"id": row[0]}, 201


@app.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}
