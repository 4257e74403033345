"""The command line: ``postal-tracker <command>`` (or ``flask --app postal_tracker``)."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from werkzeug.serving import run_simple

from postal_tracker import db
from postal_tracker.auth.models import Role
from postal_tracker.config import ConfigError, Settings


def _settings() -> Settings:
    s: Settings = current_app.config["SETTINGS"]
    return s


@click.command("migrate")
@with_appcontext
def migrate_command() -> None:
    """Apply the database migrations (creates the database if needed)."""
    from postal_tracker import migrate

    settings = _settings()
    settings.instance_path.mkdir(parents=True, exist_ok=True)
    migrate.upgrade(settings.database_url)
    click.echo("Database is up to date.")


@click.command("demo-data")
@with_appcontext
@click.option("--if-empty", is_flag=True, help="Do nothing when the database has units.")
def demo_data_command(if_empty: bool) -> None:
    """Load the Thái Nguyên demo: offices, one user per role, a few dossiers."""
    from postal_tracker import demo

    if _settings().env == "production":
        raise click.ClickException("Demo data is refused in production.")
    with db.transaction(db.engine()) as session:
        if if_empty and demo.has_data(session):
            click.echo("Demo data already present.")
        else:
            demo.load(session, _settings())
            # Routes are part of the demo one runs, not of the tests' template
            # database, whose delivery tests set up routes of their own.
            from postal_tracker.delivery.demo_routes import load_demo_routes

            load_demo_routes(session)
            click.echo("Demo data loaded.")
    click.echo(demo.logins_text())


@click.command("create-user")
@with_appcontext
@click.option("--username", required=True)
@click.option("--full-name", required=True)
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--unit", "unit_codes", multiple=True, help="Unit code; repeat for several.")
@click.password_option()
def create_user_command(
    username: str, full_name: str, role: str, unit_codes: tuple[str, ...], password: str
) -> None:
    """Create a user with a role and the units they act for."""
    from sqlmodel import col, select

    from postal_tracker.auth.service import MIN_PASSWORD_LENGTH, create_user, find_user
    from postal_tracker.units.models import Unit

    if len(password) < MIN_PASSWORD_LENGTH:
        raise click.BadParameter(
            f"use at least {MIN_PASSWORD_LENGTH} characters", param_hint="password"
        )
    with db.transaction(db.engine()) as session:
        if find_user(session, username):
            raise click.BadParameter(f"{username!r} is taken", param_hint="--username")
        units = list(session.scalars(select(Unit).where(col(Unit.code).in_(unit_codes))))
        missing = set(unit_codes) - {u.code for u in units}
        if missing:
            raise click.BadParameter(
                f"no unit with code {', '.join(sorted(missing))}", param_hint="--unit"
            )
        create_user(
            session,
            username=username,
            full_name=full_name,
            role=Role(role),
            password=password,
            units=units,
        )
    click.echo(f"User {username} created.")


@click.command("verify")
@with_appcontext
@click.option(
    "--checkpoint",
    "checkpoint_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Checkpoint to check against (default: the latest in the instance's checkpoints/).",
)
def verify_command(checkpoint_file: Path | None) -> None:
    """Recompute every item's hash chain and check the last signed checkpoint;
    exit 1 and name the first bad event on any break, truncation or swap."""
    from postal_tracker.custody import checkpoint as cp
    from postal_tracker.custody.verify import verify_all
    from postal_tracker.slips.issuing import current_keyring

    settings = _settings()
    breaks = 0
    with db.transaction(db.engine()) as session:
        for broken in verify_all(session):
            breaks += 1
            click.echo(f"BROKEN {broken}", err=True)
        path = checkpoint_file or cp.latest_checkpoint(settings.instance_path / "checkpoints")
        if path is not None:
            try:
                data = cp.load_checkpoint(path, current_keyring(settings.instance_path / "keys"))
            except cp.CheckpointError as exc:
                breaks += 1
                click.echo(f"BROKEN checkpoint {exc}", err=True)
            else:
                for gone in cp.check_against(session, data):
                    breaks += 1
                    click.echo(f"BROKEN {gone} (checkpoint {path.name})", err=True)
    if breaks:
        click.echo(f"{breaks} problem(s) in the custody history.", err=True)
        sys.exit(1)
    suffix = f", and match checkpoint {path.name}" if path else ""
    click.echo(f"All custody histories verify{suffix}.")


@click.command("checkpoint")
@with_appcontext
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder to write to (default: the instance's checkpoints/); keep copies off this machine.",
)
def checkpoint_command(out_dir: Path | None) -> None:
    """Sign a digest of every item's chain and write it outside the database."""
    from postal_tracker.custody import checkpoint as cp
    from postal_tracker.slips.issuing import current_keyring

    settings = _settings()
    with db.transaction(db.engine()) as session:
        data = cp.make_checkpoint(session, current_keyring(settings.instance_path / "keys"))
    path = cp.write_checkpoint(data, out_dir or settings.instance_path / "checkpoints")
    click.echo(f"Checkpoint of {len(data['items'])} item(s) written to {path}")


@click.command("delivery-jobs")
@with_appcontext
@click.option(
    "--today", type=click.DateTime(formats=["%Y-%m-%d"]), help="Default: today in Vietnam."
)
def delivery_jobs_command(today: datetime | None) -> None:
    """Schedule results taken by the post; offer overdue holds back to their agency."""
    from postal_tracker.clock import VN_TZ
    from postal_tracker.delivery.jobs import run_delivery_jobs

    day = today.date() if today else datetime.now(VN_TZ).date()
    scheduled, offered = run_delivery_jobs(db.engine(), day, _settings())
    click.echo(f"{scheduled} result(s) scheduled, {offered} hold(s) offered back.")


@click.command("serve")
@with_appcontext
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option(
    "--with-scheduler", is_flag=True, help="Run the scheduler's jobs in this process too."
)
def serve_command(host: str, port: int, with_scheduler: bool) -> None:
    """Serve the app for development and demos (use gunicorn in production)."""
    from postal_tracker import demo

    with db.transaction(db.engine()) as session:
        if demo.has_demo_users(session):
            click.echo(demo.logins_text())
    if with_scheduler:
        from postal_tracker.jobs import build_scheduler

        build_scheduler(db.engine(), _settings(), background=True).start()
        click.echo("Scheduler running in this process.")
    click.echo(f"Postal Tracker at http://{host}:{port}  (Ctrl+C to stop)")
    # Flask's own app.run() refuses to run from inside a CLI command.
    run_simple(host, port, current_app._get_current_object(), threaded=True)  # type: ignore[attr-defined]


@click.command("scheduler")
@with_appcontext
def scheduler_command() -> None:
    """Run the clock: deliveries, notices, reminders, watchdogs (one process per deployment)."""
    from contextlib import suppress

    from postal_tracker.jobs import build_scheduler

    scheduler = build_scheduler(db.engine(), _settings())
    click.echo(f"Scheduler running {len(scheduler.get_jobs())} jobs (Ctrl+C to stop).")
    with suppress(KeyboardInterrupt, SystemExit):
        scheduler.start()


@click.command("relay")
@with_appcontext
@click.option("--once", is_flag=True, help="Send everything that is due, then stop.")
@click.option("--interval", default=5.0, show_default=True, type=click.FloatRange(0.1))
@click.option("--batch", default=50, show_default=True, type=click.IntRange(1, 1000))
def relay_command(once: bool, interval: float, batch: int) -> None:
    """Send the queued notices to citizens (email, SMS), at least once each."""
    from postal_tracker.notify.relay import run_relay

    try:
        run_relay(
            db.engine(), _settings(), once=once, interval=interval, batch=batch, echo=click.echo
        )
    except ConfigError as exc:
        raise click.ClickException(f"Configuration error: {exc}") from None


def register_commands(app: Flask) -> None:
    from postal_tracker.slips.commands import COMMANDS as SLIP_COMMANDS

    for group in SLIP_COMMANDS:
        app.cli.add_command(group)
    for cmd in (
        migrate_command,
        demo_data_command,
        create_user_command,
        verify_command,
        checkpoint_command,
        delivery_jobs_command,
        serve_command,
        relay_command,
        scheduler_command,
    ):
        app.cli.add_command(cmd)


def _create_app() -> Flask:
    from postal_tracker.app import create_app

    try:
        return create_app()
    except ConfigError as exc:
        click.echo(f"Configuration error: {exc}", err=True)
        sys.exit(2)


main = FlaskGroup(
    create_app=_create_app,
    add_default_commands=False,
    load_dotenv=False,
    help="Postal Tracker: custody of dossiers carried by post.",
)
