from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate

from postal_tracker.notify.channels.base import Outgoing

MESSAGE_ID_DOMAIN = "postal-tracker"


def message_id(outbox_id: int) -> str:
    """Stable across re-sends, so the receiving side can drop a repeat."""
    return f"<outbox-{outbox_id}@{MESSAGE_ID_DOMAIN}>"


def email_message(message: Outgoing, sender: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = message_id(message.outbox_id)
    email["X-Outbox-Id"] = str(message.outbox_id)
    email["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies, please
    email.set_content(message.body)
    return email
