"""The command line: migrate, demo data, users."""

from __future__ import annotations

from flask import Flask
from sqlmodel import select

from postal_tracker import db
from postal_tracker.auth.models import Membership, User
from postal_tracker.auth.roles import Role


def test_create_user(app: Flask) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "create-user",
            "--username",
            "Clerk.New",
            "--full-name",
            "Phạm Văn An",
            "--role",
            "post_office_clerk",
            "--unit",
            "BD-TINH",
            "--password",
            "long-enough-pw",
        ]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session().scalars(select(User).where(User.username == "clerk.new")).one()
        assert user.role is Role.POST_OFFICE_CLERK
        assert user.password_hash.startswith("$argon2id$")
        assert db.session().scalars(select(Membership).where(Membership.user_id == user.id)).one()


def test_create_user_bad_input_is_named(app: Flask) -> None:
    runner = app.test_cli_runner()
    base = ["create-user", "--full-name", "X", "--role", "admin"]
    taken = runner.invoke(args=[*base, "--username", "giamsat", "--password", "long-enough-pw"])
    assert taken.exit_code == 2 and "'giamsat' is taken" in taken.output
    unit = runner.invoke(
        args=[*base, "--username", "new1", "--unit", "NOPE", "--password", "long-enough-pw"]
    )
    assert unit.exit_code == 2 and "no unit with code NOPE" in unit.output
    short = runner.invoke(args=[*base, "--username", "new2", "--password", "short"])
    assert short.exit_code == 2 and "at least 10 characters" in short.output


def test_demo_data_if_empty_is_idempotent(empty_app: Flask) -> None:
    runner = empty_app.test_cli_runner()
    first = runner.invoke(args=["demo-data", "--if-empty"])
    assert first.exit_code == 0 and "Demo data loaded" in first.output
    assert "canbo.trangxa" in first.output
    second = runner.invoke(args=["demo-data", "--if-empty"])
    assert second.exit_code == 0 and "already present" in second.output
    verify = runner.invoke(args=["verify"])
    assert verify.exit_code == 0, verify.output
