"""The adapters that carry a message to a citizen, chosen by the
``notify_channels`` setting: ``smtp`` carries email, ``sms`` carries SMS through
an HTTP gateway, and ``file`` (development) writes whatever no other adapter
carries into files.

Every send carries the outbox id as an idempotency key (the email's
``Message-ID`` and ``X-Outbox-Id``; the gateway's ``client_ref`` and
``Idempotency-Key``): the relay sends at least once, and a repeat after a crash
carries the same key, so the receiving side can drop it.
"""

from __future__ import annotations

from postal_tracker.config import PREFIX, ConfigError, Settings
from postal_tracker.notify.channels.base import Channel, Outgoing, SendError
from postal_tracker.notify.channels.files import FileChannel
from postal_tracker.notify.channels.sms_gateway import SmsGatewayChannel
from postal_tracker.notify.channels.smtp import SmtpChannel
from postal_tracker.notify.models import Medium

__all__ = ["Channel", "Outgoing", "SendError", "build_channels", "close_channels"]

ADAPTERS = ("file", "smtp", "sms")


def build_channels(settings: Settings) -> dict[Medium, Channel]:
    """The channel for each medium the settings enable; ConfigError, naming the
    variable, when a setting is missing or wrong."""
    names = [n.strip().lower() for n in settings.notify_channels.split(",") if n.strip()]
    unknown = sorted(set(names) - set(ADAPTERS))
    if unknown:
        raise ConfigError(
            f"{PREFIX}NOTIFY_CHANNELS: unknown channel {', '.join(map(repr, unknown))}; "
            f"use a comma-separated list of {', '.join(ADAPTERS)}."
        )
    if not names:
        raise ConfigError(
            f"{PREFIX}NOTIFY_CHANNELS is empty: name at least one of {', '.join(ADAPTERS)}."
        )
    channels: dict[Medium, Channel] = {}
    if "smtp" in names:
        channels[Medium.EMAIL] = SmtpChannel.from_settings(settings)
    if "sms" in names:
        channels[Medium.SMS] = SmsGatewayChannel.from_settings(settings)
    if "file" in names:
        files = FileChannel.from_settings(settings)
        for medium in Medium:
            channels.setdefault(medium, files)
    return channels


def close_channels(channels: dict[Medium, Channel]) -> None:
    # One adapter may serve several media (the file channel): close it once.
    for channel in {id(c): c for c in channels.values()}.values():
        channel.close()
