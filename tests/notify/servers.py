"""Real servers on 127.0.0.1 for the channels to talk to: an SMTP server
(aiosmtpd) and an SMS gateway (http.server in a thread). Both keep every
receipt, so tests count raw receipts and receipts deduplicated by the
idempotency key, as a real receiver would."""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

SMTP_USER, SMTP_PASSWORD = "relay", "smtp-secret"
SMS_USER, SMS_PASSWORD = "buudien", "gateway-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Mailbox:
    """What the SMTP server received."""

    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.content or b""
        raw = content.encode() if isinstance(content, str) else bytes(content)
        parsed = message_from_bytes(raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        with self.lock:
            self.messages.append(parsed)
            self.envelopes.append((str(envelope.mail_from), list(envelope.rcpt_tos)))
        return "250 OK"

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            SMTP_USER.encode(),
            SMTP_PASSWORD.encode(),
        )
        if ok:
            with self.lock:
                self.logins.append(SMTP_USER)
        return AuthResult(success=ok)

    def by_message_id(self) -> Counter[str]:
        with self.lock:
            return Counter(str(m["Message-ID"]) for m in self.messages)


def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=mailbox.authenticate,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


@dataclass
class Receipt:
    client_ref: str
    idempotency_key: str
    authorization: str
    payload: dict[str, Any]
    status: int


@dataclass
class Gateway:
    """An SMS gateway. ``fail_first`` requests get 500 (or ``fail_status``);
    ``delay`` seconds pass before each answer."""

    fail_first: int = 0
    fail_status: int = 500
    delay: float = 0.0
    # The request numbered ``hold_at`` (1-based) is taken, then its answer held
    # until ``release`` is set: a relay killed meanwhile sent it but never
    # learnt so.
    hold_at: int = 0
    held: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    receipts: list[Receipt] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def answer(self, receipt_data: dict[str, Any], headers: Any) -> int:
        if self.delay:
            time.sleep(self.delay)
        with self.lock:
            status = self.fail_status if len(self.receipts) < self.fail_first else 200
            self.receipts.append(
                Receipt(
                    client_ref=str(receipt_data.get("client_ref", "")),
                    idempotency_key=str(headers.get("Idempotency-Key", "")),
                    authorization=str(headers.get("Authorization", "")),
                    payload=receipt_data,
                    status=status,
                )
            )
            hold = len(self.receipts) == self.hold_at
        if hold:
            self.held.set()
            self.release.wait(60)
        return status

    def delivered(self) -> list[Receipt]:
        with self.lock:
            return [r for r in self.receipts if r.status == 200]

    def raw_counts(self) -> Counter[str]:
        return Counter(r.client_ref for r in self.delivered())

    def deduplicated(self) -> set[str]:
        """What a gateway that drops repeats by client_ref would send on."""
        return set(self.raw_counts())


def basic_auth(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def sms_gateway(gateway: Gateway) -> Iterator[Gateway]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            data = json.loads(self.rfile.read(length) or b"{}")
            if self.headers.get("Authorization") != basic_auth(SMS_USER, SMS_PASSWORD):
                status = 401
            else:
                status = gateway.answer(data, self.headers)
            body = json.dumps({"status": "queued" if status == 200 else "error"}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output quiet

    class Server(ThreadingHTTPServer):
        def handle_error(self, request: Any, client_address: Any) -> None:
            pass  # a client killed mid-request is what some tests do

    server = Server(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    gateway.url = f"http://127.0.0.1:{server.server_address[1]}/v1/sms"
    try:
        yield gateway
    finally:
        gateway.release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)
