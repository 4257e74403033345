"""Commands: ``postal-tracker keys rotate|show`` and ``postal-tracker labels print``."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from tqdm import tqdm

from postal_tracker import db
from postal_tracker.config import Settings
from postal_tracker.db import utcnow
from postal_tracker.slips.issuing import current_keyring
from postal_tracker.slips.label_sheet import render_labels
from postal_tracker.slips.layouts import LayoutError, load_layouts
from postal_tracker.slips.model import LabelData
from postal_tracker.slips.pool import reserve_codes


def _settings() -> Settings:
    s: Settings = current_app.config["SETTINGS"]
    return s


@click.group("keys")
def keys_group() -> None:
    """The Ed25519 keys that sign slips' QR codes."""


@keys_group.command("show")
@with_appcontext
def keys_show() -> None:
    """Print the published keys (what GET /api/v1/keys serves)."""
    ring = current_keyring(_settings().instance_path / "keys")
    click.echo(json.dumps(ring.public_keys_json(), indent=2))


@keys_group.command("rotate")
@with_appcontext
@click.option(
    "--overlap-hours",
    default=24,
    show_default=True,
    type=click.IntRange(0, 24 * 90),
    help="How long the old key may still sign (other servers pick up the new key).",
)
def keys_rotate(overlap_hours: int) -> None:
    """Start a new signing key; slips signed with older keys stay verifiable."""
    ring = current_keyring(_settings().instance_path / "keys")
    new = ring.rotate(utcnow(), timedelta(hours=overlap_hours))
    click.echo(f"New signing key {new.active.key_id}; old keys still verify.")


@click.group("labels")
def labels_group() -> None:
    """Pre-printed tracking labels."""


@labels_group.command("print")
@with_appcontext
@click.option("--layout", "layout_name", default="a4-label-sheet", show_default=True)
@click.option("--count", required=True, type=click.IntRange(1, 100_000))
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="PDF file to write (default: labels-<batch>.pdf).",
)
@click.option(
    "--start-at",
    default=0,
    type=click.IntRange(0),
    show_default=True,
    help="Skip this many positions on a partly used first sheet.",
)
def labels_print(layout_name: str, count: int, output: Path | None, start_at: int) -> None:
    """Reserve COUNT new tracking codes and print them as labels."""
    try:
        layouts = load_layouts()
    except LayoutError as exc:
        raise click.ClickException(str(exc)) from None
    layout = layouts.get(layout_name)
    if layout is None or layout.labels is None:
        usable = sorted(n for n, lay in layouts.items() if lay.labels is not None)
        raise click.BadParameter(
            f"{layout_name!r} is not a label layout; use one of: {', '.join(usable)}",
            param_hint="--layout",
        )
    settings = _settings()
    batch = utcnow().strftime("%Y%m%d-%H%M%S")
    codes: list[str] = []
    with (
        db.transaction(db.engine()) as session,
        tqdm(total=count, desc="Reserving codes", unit="code", disable=None) as bar,
    ):
        for start in range(0, count, 500):
            n = min(500, count - start)
            codes += reserve_codes(
                session,
                n,
                prefix=settings.tracking_prefix,
                country=settings.tracking_country,
                batch=batch,
            )
            bar.update(n)
    with tqdm(total=1, desc="Drawing labels", unit="pdf", disable=None) as bar:
        pdf = render_labels([LabelData(c) for c in codes], layout, start_at=start_at).pdf
        bar.update(1)
    target = output or Path(f"labels-{batch}.pdf")
    target.write_bytes(pdf)
    click.echo(f"{count} labels ({codes[0]} … {codes[-1]}), batch {batch}: {target}")


COMMANDS = (keys_group, labels_group)
