"""Typed settings, read once from the environment and the instance folder.

Every setting has an environment variable ``POSTAL_TRACKER_<NAME>``. Secrets are
never committed: in development a secret key is generated into the instance
folder on first run; in production a missing secret stops start-up.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from postal_tracker.units.kinds import UnitKind

PREFIX = "POSTAL_TRACKER_"
ENVIRONMENTS = ("development", "production", "testing")
# The languages of the pages, Vietnamese first: the default when nothing chooses.
LOCALES = ("vi", "en")


# The watchdogs' limits (postal_tracker/watch/rules.py applies them).
# A person (postal worker, officer) holds an item in their own hands.
PERSON = "person"
# Working days a holder may keep an item before it must move on. An agency is
# not here: its limit is the appointment date, watched on its own.
LEG_WORKING_DAYS: dict[str, int] = {
    PERSON: 1,
    UnitKind.COMMUNE_OFFICE: 1,
    UnitKind.POST_POINT: 1,
    UnitKind.POST_OFFICE: 1,
    UnitKind.HUB: 1,
}
OFFER_LIMIT = timedelta(hours=2)


@dataclass(frozen=True)
class Limits:
    """How long each leg may hold an item and an offer may wait; the defaults
    above unless the deployment says otherwise (``POSTAL_TRACKER_WATCH_*``)."""

    leg_working_days: Mapping[str, int] = field(default_factory=lambda: dict(LEG_WORKING_DAYS))
    offer_limit: timedelta = OFFER_LIMIT


DEFAULT_LIMITS = Limits()


def parse_leg_days(spec: str) -> dict[str, int]:
    """``"hub=2, post_office=1"``: the legs whose limit differs from the
    default, merged over the defaults. A ValueError names what is wrong."""
    legs = dict(LEG_WORKING_DAYS)
    for part in filter(None, (p.strip() for p in spec.split(","))):
        holder, _, days = part.partition("=")
        holder = holder.strip()
        if holder not in legs:
            known = ", ".join(sorted(legs))
            raise ValueError(f"{holder!r} is not a leg with a limit; use one of {known}")
        try:
            legs[holder] = int(days)
        except ValueError:
            raise ValueError(f"{part!r}: the days must be a whole number, as in hub=2") from None
        # The stalled-custody query counts on every leg allowing a whole day.
        if legs[holder] < 1:
            raise ValueError(f"{part!r}: a leg must allow at least 1 working day")
    return legs


def limits_from(leg_days: str, offer_hours: int) -> Limits:
    if offer_hours < 1:
        raise ValueError("an offer must be allowed at least 1 hour")
    return Limits(
        leg_working_days=parse_leg_days(leg_days), offer_limit=timedelta(hours=offer_hours)
    )


class ConfigError(RuntimeError):
    """A setting is missing or wrong; the message says which and how to fix it."""


def _default_instance() -> Path:
    return Path(os.environ.get(PREFIX + "INSTANCE_PATH", Path.cwd() / "instance")).resolve()


@dataclass(frozen=True)
class Settings:
    env: str = "development"
    instance_path: Path = field(default_factory=_default_instance)
    database_url: str = ""
    secret_key: str = ""
    base_url: str = "http://127.0.0.1:5000"
    tracking_prefix: str = "HC"
    tracking_country: str = "VN"
    default_locale: str = "vi"
    # Login throttling: this many failures per account within the window lock it
    # for the rest of the window.
    login_max_failures: int = 5
    login_window_seconds: int = 900
    ratelimit_storage_uri: str = "memory://"
    ratelimit_enabled: bool = True
    # Reverse proxies in front of the app (nginx: 1). Their X-Forwarded-For and
    # X-Forwarded-Proto are trusted for that many hops, so that rate limits
    # count per client rather than per proxy. 0: the headers are ignored, as a
    # client could forge them when nothing strips them.
    proxy_hops: int = 0
    # Session cookies are Secure in production (served over HTTPS).
    session_cookie_secure: bool = False
    # The paper stock slips are printed on: a file name in labels/ without .toml.
    slip_layout: str = "a6-slip"
    # Delivery: failed home attempts before a result is held for pickup, working
    # days it is held before going back to the agency, and how long the link
    # in a delivery notice stays valid.
    delivery_max_attempts: int = 3
    holding_days: int = 10
    delivery_link_days: int = 21
    # Notices (postal_tracker/notify): the adapters the relay sends through,
    # comma-separated: "file" (development: one file per message in outbox_dir,
    # default instance/outbox), "smtp" (email), "sms" (the HTTP SMS gateway).
    notify_channels: str = "file"
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = True
    smtp_sender: str = ""
    sms_url: str = ""
    sms_username: str = ""
    sms_password: str = ""
    sms_sender: str = ""
    outbox_dir: Path | None = None
    # The relay: seconds a send may take, how long a claim on a batch lasts
    # (then another relay may take the rows over), attempts before a message is
    # given up with a supervisor alert, and the retry backoff (doubling, capped).
    notify_timeout_seconds: int = 10
    notify_claim_seconds: int = 300
    notify_max_attempts: int = 8
    notify_retry_base_seconds: int = 30
    notify_retry_cap_seconds: int = 3600
    # Watchdogs: working days a leg may hold an item where it differs from one
    # day, as "hub=2,post_office=1" (legs: person, commune_office, post_point,
    # post_office, hub), and hours an offered handover may wait for its receiver.
    watch_leg_days: str = ""
    watch_offer_hours: int = 2

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def watch_limits(self) -> Limits:
        return limits_from(self.watch_leg_days, self.watch_offer_hours)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Settings from ``POSTAL_TRACKER_*`` variables, then ``overrides``."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = environ.get(PREFIX + f.name.upper())
            if raw is None:
                continue
            values[f.name] = _parse(f.name, raw, f.type)
        values.update(overrides)
        return cls(**values).resolved()

    def resolved(self) -> Settings:
        """Fill in derived defaults and check the settings hang together."""
        if self.env not in ENVIRONMENTS:
            raise ConfigError(
                f"{PREFIX}ENV must be one of {', '.join(ENVIRONMENTS)}, not {self.env!r}."
            )
        if not re.fullmatch(r"[A-Z]{2}", self.tracking_prefix):
            raise ConfigError(f"{PREFIX}TRACKING_PREFIX must be two upper-case letters.")
        try:
            limits_from(self.watch_leg_days, self.watch_offer_hours)
        except ValueError as e:
            raise ConfigError(
                f"{PREFIX}WATCH_LEG_DAYS or {PREFIX}WATCH_OFFER_HOURS is wrong: {e}."
            ) from None
        settings = self
        instance = Path(self.instance_path)
        if not self.database_url:
            settings = replace(
                settings, database_url=f"sqlite:///{instance / 'postal_tracker.sqlite3'}"
            )
        if not self.secret_key:
            if self.env == "production":
                raise ConfigError(
                    f"{PREFIX}SECRET_KEY is not set. In production the secret key must come "
                    "from the environment: generate one with "
                    "`python -c 'import secrets; print(secrets.token_hex(32))'`."
                )
            settings = replace(settings, secret_key=_instance_secret(instance))
        if self.env == "production" and len(settings.secret_key) < 32:
            raise ConfigError(f"{PREFIX}SECRET_KEY must be at least 32 characters in production.")
        return settings


def _instance_secret(instance: Path) -> str:
    """A development secret kept in the instance folder, made on first use."""
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def _parse(name: str, raw: str, kind: Any) -> Any:
    kind = str(kind)
    if "bool" in kind:
        if raw.lower() in ("1", "true", "yes", "on"):
            return True
        if raw.lower() in ("0", "false", "no", "off", ""):
            return False
        raise ConfigError(f"{PREFIX}{name.upper()} must be true or false, not {raw!r}.")
    if "int" in kind:
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(
                f"{PREFIX}{name.upper()} must be a whole number, not {raw!r}."
            ) from None
    if "Path" in kind:
        return Path(raw).resolve()
    return raw
