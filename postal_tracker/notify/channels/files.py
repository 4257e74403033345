from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from postal_tracker.config import Settings
from postal_tracker.notify.channels.base import Outgoing
from postal_tracker.notify.channels.email_message import email_message
from postal_tracker.notify.channels.sms_gateway import sms_payload
from postal_tracker.notify.models import Medium

DEFAULT_SENDER = "Postal Tracker <no-reply@localhost>"


def outbox_dir(settings: Settings) -> Path:
    return settings.outbox_dir or settings.instance_path / "outbox"


@dataclass
class FileChannel:
    """Development: each message becomes ``outbox-<id>.eml`` or ``.json`` in a
    folder. Named by outbox id, so sending a message again rewrites the same
    file (idempotent by construction)."""

    folder: Path
    email_sender: str = DEFAULT_SENDER
    sms_sender: str = "POSTAL"

    @classmethod
    def from_settings(cls, settings: Settings) -> FileChannel:
        return cls(
            folder=outbox_dir(settings),
            email_sender=settings.smtp_sender or DEFAULT_SENDER,
            sms_sender=settings.sms_sender or "POSTAL",
        )

    def path(self, message: Outgoing) -> Path:
        suffix = ".eml" if message.medium == Medium.EMAIL else ".json"
        return self.folder / f"{message.idempotency_key}{suffix}"

    def send(self, message: Outgoing) -> None:
        if message.medium == Medium.EMAIL:
            data = email_message(message, self.email_sender).as_bytes()
        else:
            payload = sms_payload(message, self.sms_sender)
            data = json.dumps(payload, ensure_ascii=False, indent=2).encode()
        self.folder.mkdir(parents=True, exist_ok=True)
        # Write then rename: a reader never sees half a message.
        fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, self.path(message))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def close(self) -> None:
        """Nothing held open."""
