"""Append-only history and tamper evidence: the database refuses changes to
events, and ``verify`` names the first bad event of any chain that was
altered behind its back."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.exc import DBAPIError
from sqlmodel import col, select

from postal_tracker.custody.ledger import record
from postal_tracker.custody.models import CustodyEvent, Item
from postal_tracker.custody.rules import EventKind
from postal_tracker.custody.verify import verify_all
from postal_tracker.db import transaction

from .helpers import actor, new_item, scan, unit


def _item_with_history(engine: sa.Engine) -> tuple[str, list[int]]:
    """An item with five events; returns its code and event ids in order."""
    with transaction(engine) as s:
        item = new_item(s)
        officer = actor(s, "canbo.trangxa")
        record(s, officer, scan(item, EventKind.INCIDENT_OPENED, data={"note": "seal checked"}))
        record(s, officer, scan(item, EventKind.DEPARTED))
        record(s, officer, scan(item, EventKind.ARRIVED))
        record(
            s,
            officer,
            scan(item, EventKind.HANDOVER_OFFERED, receiver_unit_id=unit(s, "BD-VONHAI").id),
        )
        ids = list(
            s.scalars(
                select(CustodyEvent.id)
                .where(CustodyEvent.item_id == item.id)
                .order_by(col(CustodyEvent.seq))
            )
        )
        return item.tracking_code, [i for i in ids if i is not None]


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE custody_event SET kind = 'delivered'",
        "UPDATE custody_event SET data = '{}' WHERE seq = 1",
        "DELETE FROM custody_event",
        "DELETE FROM custody_event WHERE seq = 2",
    ],
)
def test_the_database_refuses_to_change_events(engine: sa.Engine, statement: str) -> None:
    _item_with_history(engine)
    with engine.connect() as conn, pytest.raises(DBAPIError, match="refused"):
        conn.execute(sa.text(statement))


def test_postgresql_refuses_truncate(engine: sa.Engine, pg_only: None) -> None:
    with engine.connect() as conn, pytest.raises(DBAPIError, match="refused"):
        conn.execute(sa.text("TRUNCATE custody_event CASCADE"))


@pytest.mark.parametrize("table", ["dossier", "item", "user", "unit"])
def test_nothing_is_hard_deleted(engine: sa.Engine, table: str) -> None:
    _item_with_history(engine)
    with engine.connect() as conn, pytest.raises(DBAPIError, match="refused"):
        conn.execute(sa.text(f'DELETE FROM "{table}"'))


def _as_attacker(engine: sa.Engine, *statements: str) -> None:
    """Change the history the way someone with database access could: with the
    guards switched off."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("ALTER TABLE custody_event DISABLE TRIGGER USER"))
        else:
            conn.execute(sa.text("DROP TRIGGER custody_event_no_update"))
            conn.execute(sa.text("DROP TRIGGER custody_event_no_delete"))
        for statement in statements:
            conn.execute(sa.text(statement))


def _breaks(engine: sa.Engine) -> list[str]:
    with transaction(engine) as s:
        return [str(b) for b in verify_all(s)]


def test_an_untouched_history_verifies(engine: sa.Engine) -> None:
    _item_with_history(engine)
    assert _breaks(engine) == []


def test_a_flipped_byte_is_named(engine: sa.Engine) -> None:
    code, ids = _item_with_history(engine)
    _as_attacker(
        engine,
        f'UPDATE custody_event SET data = \'{{"note": "seal checkeD"}}\' WHERE id = {ids[1]}',
    )
    assert _breaks(engine) == [
        f"{code}: event {ids[1]} (#2): content does not match its hash (altered)"
    ]


def test_a_changed_device_time_is_named(engine: sa.Engine) -> None:
    code, ids = _item_with_history(engine)
    _as_attacker(engine, f"UPDATE custody_event SET device_utc_offset_min = 0 WHERE id = {ids[2]}")
    assert _breaks(engine) == [
        f"{code}: event {ids[2]} (#3): content does not match its hash (altered)"
    ]


def test_a_deleted_event_is_named(engine: sa.Engine) -> None:
    code, ids = _item_with_history(engine)
    _as_attacker(engine, f"DELETE FROM custody_event WHERE id = {ids[2]}")
    assert _breaks(engine) == [
        f"{code}: event {ids[3]} (#4): sequence jumps from 2 to 4: events missing"
    ]


def test_a_deleted_and_renumbered_event_is_named(engine: sa.Engine) -> None:
    code, ids = _item_with_history(engine)
    _as_attacker(
        engine,
        f"DELETE FROM custody_event WHERE id = {ids[2]}",
        f"UPDATE custody_event SET seq = seq - 1 WHERE id IN ({ids[3]}, {ids[4]})",
    )
    assert _breaks(engine)[0].startswith(f"{code}: event {ids[3]} (#3)")


def test_a_swapped_pair_is_named(engine: sa.Engine) -> None:
    code, ids = _item_with_history(engine)
    _as_attacker(
        engine,
        f"UPDATE custody_event SET seq = 100 WHERE id = {ids[1]}",
        f"UPDATE custody_event SET seq = 2 WHERE id = {ids[2]}",
        f"UPDATE custody_event SET seq = 3 WHERE id = {ids[1]}",
    )
    assert _breaks(engine) == [
        f"{code}: event {ids[2]} (#2): does not link to the previous event (deleted or reordered)"
    ]


def test_a_cut_tail_is_found(engine: sa.Engine) -> None:
    code, ids = _item_with_history(engine)
    _as_attacker(engine, f"DELETE FROM custody_event WHERE id IN ({ids[3]}, {ids[4]})")
    assert _breaks(engine) == [
        f"{code}: item head: the item records 5 events but 3 remain "
        "(history cut short or item altered)"
    ]


def test_verify_command_exits_non_zero_and_names_the_event(app: Flask, engine: sa.Engine) -> None:
    code, ids = _item_with_history(engine)
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["verify"])
    assert ok.exit_code == 0, ok.output
    assert "All custody histories verify" in ok.output
    _as_attacker(engine, f"UPDATE custody_event SET actor_user_id = NULL WHERE id = {ids[4]}")
    bad = runner.invoke(args=["verify"])
    assert bad.exit_code == 1
    assert f"BROKEN {code}: event {ids[4]} (#5)" in bad.output


def test_items_stay_consistent_with_their_chain(engine: sa.Engine) -> None:
    code, ids = _item_with_history(engine)
    with transaction(engine) as s:
        item = s.scalars(select(Item).where(Item.tracking_code == code)).one()
        last = s.get(CustodyEvent, ids[-1])
        assert last is not None
        assert item.head_event_id == last.id and item.head_hash == last.hash
        assert item.offer_event_id == last.id


def test_a_cut_tail_hidden_by_a_rewritten_item_is_caught_by_the_checkpoint(
    app: Flask, engine: sa.Engine
) -> None:
    code, ids = _item_with_history(engine)
    runner = app.test_cli_runner()
    made = runner.invoke(args=["checkpoint"])
    assert made.exit_code == 0, made.output
    # Cut the last two events and make the item row agree, as a careful attacker would.
    with transaction(engine) as s:
        third = s.get(CustodyEvent, ids[2])
        assert third is not None
        head_hash = third.hash
    _as_attacker(
        engine,
        f"DELETE FROM custody_event WHERE id IN ({ids[3]}, {ids[4]})",
        f"UPDATE item SET event_count = 3, head_hash = '{head_hash}', head_event_id = {ids[2]}, "
        f"offer_event_id = NULL, offered_to_unit_id = NULL WHERE tracking_code = '{code}'",
    )
    assert _breaks(engine) == []  # each chain on its own looks whole
    result = runner.invoke(args=["verify"])
    assert result.exit_code == 1
    assert f"BROKEN {code}: event #5, present at the checkpoint, is missing" in result.output


def test_an_altered_checkpoint_file_fails_verify(app: Flask, engine: sa.Engine) -> None:
    import json
    from pathlib import Path

    _item_with_history(engine)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["checkpoint"]).exit_code == 0
    folder = Path(app.config["SETTINGS"].instance_path) / "checkpoints"
    path = sorted(folder.glob("checkpoint-*.json"))[-1]
    data = json.loads(path.read_text())
    data["items"] = data["items"][:-1]  # drop an item from the record
    path.write_text(json.dumps(data))
    result = runner.invoke(args=["verify"])
    assert result.exit_code == 1 and "BROKEN checkpoint" in result.output
    assert runner.invoke(args=["verify", "--checkpoint", str(path)]).exit_code == 1
