"""The Ed25519 keys that sign slip tokens, kept in a directory of the instance
folder (e.g. ``instance/keys/``), never in the repository.

The directory holds ``keys.json`` (every key's public half, key id and
service period) and ``<key id>.key``, the active private key (PKCS#8 PEM,
mode 0600). A retired key's private half is deleted at rotation: it can no
longer sign, and its public half stays published so old slips still verify.

Service periods. A key signs from ``valid_from``; rotation retires it at
``now + overlap``. Slips issued between those times verify for ever. The
overlap exists because several app servers may share the directory: one that
has not reloaded yet keeps signing with the old key, and its slips must stay
valid. A verifier refuses a slip whose issue time falls outside its key's
period (allowing ``CLOCK_SKEW`` for servers' clocks).

Every change happens under an exclusive ``flock`` on ``.lock`` and writes
``keys.json`` atomically, so two processes starting or rotating at once
cannot both create a key or lose one.
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from postal_tracker.slips.token import InvalidToken, VerifiedSlip, key_id_for, verify_token

METADATA_FILE = "keys.json"
LOCK_FILE = ".lock"
FORMAT = "postal-tracker-slip-keys/1"
ALGORITHM = "EdDSA"
CLOCK_SKEW = timedelta(minutes=5)


class KeyStoreError(Exception):
    """The key directory is unusable; the message says what to fix."""


class PublishedKeysError(ValueError):
    """The published keys document is not one ``public_keys_json`` produced."""


@dataclass(frozen=True)
class PublicKeyRecord:
    """A key's public half and the period in which it signs slips."""

    key_id: str
    public_key: Ed25519PublicKey
    valid_from: datetime
    retired_at: datetime | None

    def in_service_at(self, when: datetime) -> bool:
        """Whether a slip issued at ``when`` may carry this key's signature."""
        if when < self.valid_from - CLOCK_SKEW:
            return False
        return self.retired_at is None or when <= self.retired_at + CLOCK_SKEW


@dataclass(frozen=True)
class SigningKey:
    """The active key: what ``token.sign_slip`` signs with."""

    key_id: str
    private_key: Ed25519PrivateKey


class KeyRing:
    """The signing keys in one directory. Immutable: ``rotate`` returns a new ring."""

    def __init__(
        self, directory: Path, records: tuple[PublicKeyRecord, ...], active: SigningKey
    ) -> None:
        self.directory = directory
        self.records = records
        self.active = active

    @classmethod
    def load_or_create(cls, directory: Path, now: datetime) -> KeyRing:
        """Load the keys in ``directory``, creating it and a first key if it is empty.

        Raises ``KeyStoreError`` if the directory holds keys it cannot read.
        """
        _require_aware(now)
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        with _locked(directory):
            if not (directory / METADATA_FILE).exists():
                strays = sorted(p.name for p in directory.glob("*.key"))
                if strays:
                    raise KeyStoreError(
                        f"{directory}: private keys {strays} without {METADATA_FILE}; "
                        "restore the metadata file from backup rather than starting over"
                    )
                _add_key(directory, (), now)
            return _read(directory)

    def rotate(self, now: datetime, overlap: timedelta = timedelta(0)) -> KeyRing:
        """Start a new active key at ``now``; the current one signs until
        ``now + overlap`` and verifies for ever. Returns the new ring (read
        back from disk, so a rotation by another process is not lost)."""
        _require_aware(now)
        if overlap < timedelta(0):
            raise ValueError("overlap must not be negative")
        with _locked(self.directory):
            current = _read(self.directory)
            retired = tuple(
                PublicKeyRecord(r.key_id, r.public_key, r.valid_from, _seconds(now + overlap))
                if r.key_id == current.active.key_id
                else r
                for r in current.records
            )
            _add_key(self.directory, retired, now)
            (self.directory / f"{current.active.key_id}.key").unlink(missing_ok=True)
            return _read(self.directory)

    def public_keys(self) -> dict[str, Ed25519PublicKey]:
        """Key id -> public key, for ``token.verify_token``."""
        return {r.key_id: r.public_key for r in self.records}

    def public_keys_json(self) -> dict[str, Any]:
        """The document to serve at ``GET /api/v1/keys``: a JSON Web Key Set
        (RFC 7517/8037, ``x`` is the raw key in base64url) whose keys also carry
        ``valid_from`` and ``retired_at`` (ISO 8601 UTC, ``null`` while active)."""
        return {
            "format": FORMAT,
            "token": (
                "<base-url>/v/<base32 of version(1) tracking(6) slip_id(6) "
                "issued_at(4) kid(4) ed25519(64)>; signed: context + first 21 bytes"
            ),
            "keys": [
                {
                    "kty": "OKP",
                    "crv": "Ed25519",
                    "alg": ALGORITHM,
                    "use": "sig",
                    "kid": r.key_id,
                    "x": _b64url(r.public_key.public_bytes_raw()),
                    "valid_from": _iso(r.valid_from),
                    "retired_at": None if r.retired_at is None else _iso(r.retired_at),
                }
                for r in self.records
            ],
        }

    def verify(self, token: str) -> VerifiedSlip:
        """``verify_with_published_keys`` against this ring's own keys."""
        return _verify_in_service(token, self.records)


def verify_with_published_keys(token: str, published: Mapping[str, Any]) -> VerifiedSlip:
    """Verify ``token`` with nothing but the document ``public_keys_json`` returns
    (as parsed JSON). Checks the signature and that the slip was issued while
    its key was in service.

    Raises ``InvalidToken`` for a bad token and ``PublishedKeysError`` for a
    document that is not a published key set.
    """
    return _verify_in_service(token, parse_published_keys(published))


def parse_published_keys(published: Mapping[str, Any]) -> tuple[PublicKeyRecord, ...]:
    """The key records in a published key set; ``PublishedKeysError`` if malformed."""
    try:
        if published.get("format") != FORMAT:
            raise PublishedKeysError(f"format is not {FORMAT!r}")
        return tuple(_parse_public_record(entry) for entry in published["keys"])
    except PublishedKeysError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, binascii.Error) as error:
        raise PublishedKeysError(f"not a published key set: {error!r}") from None


def _verify_in_service(token: str, records: tuple[PublicKeyRecord, ...]) -> VerifiedSlip:
    by_id = {r.key_id: r for r in records}
    slip = verify_token(token, {k: r.public_key for k, r in by_id.items()})
    if not by_id[slip.key_id].in_service_at(slip.issued_at):
        raise InvalidToken("outside_key_validity", f"key {slip.key_id}")
    return slip


def _add_key(directory: Path, records: tuple[PublicKeyRecord, ...], now: datetime) -> None:
    taken = {r.key_id for r in records}
    while True:
        private_key = Ed25519PrivateKey.generate()
        key_id = key_id_for(private_key.public_key())
        if key_id not in taken:  # a 1 in 4 billion clash, but ids must be unique
            break
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path = directory / f"{key_id}.key"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(pem)
        file.flush()
        os.fsync(file.fileno())
    record = PublicKeyRecord(key_id, private_key.public_key(), _seconds(now), None)
    _write_metadata(directory, (*records, record), key_id)


def _read(directory: Path) -> KeyRing:
    path = directory / METADATA_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        active_id = data["active"]
        records = tuple(
            PublicKeyRecord(
                key_id=entry["kid"],
                public_key=Ed25519PublicKey.from_public_bytes(_unb64url(entry["public_key"])),
                valid_from=_parse_iso(entry["valid_from"]),
                retired_at=None if entry["retired_at"] is None else _parse_iso(entry["retired_at"]),
            )
            for entry in data["keys"]
        )
    except (OSError, ValueError, KeyError, TypeError, binascii.Error) as error:
        raise KeyStoreError(f"{path}: cannot read key metadata: {error!r}") from None
    key_path = directory / f"{active_id}.key"
    try:
        private_key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    except (OSError, ValueError) as error:
        raise KeyStoreError(f"{key_path}: cannot read the active private key: {error}") from None
    if not isinstance(private_key, Ed25519PrivateKey):
        raise KeyStoreError(f"{key_path}: not an Ed25519 key")
    if key_id_for(private_key.public_key()) != active_id or active_id not in {
        r.key_id for r in records
    }:
        raise KeyStoreError(f"{key_path}: does not match key {active_id} in {METADATA_FILE}")
    return KeyRing(directory, records, SigningKey(active_id, private_key))


def _write_metadata(directory: Path, records: tuple[PublicKeyRecord, ...], active: str) -> None:
    data = {
        "format": FORMAT,
        "active": active,
        "keys": [
            {
                "kid": r.key_id,
                "public_key": _b64url(r.public_key.public_bytes_raw()),
                "valid_from": _iso(r.valid_from),
                "retired_at": None if r.retired_at is None else _iso(r.retired_at),
            }
            for r in records
        ],
    }
    temporary = directory / f"{METADATA_FILE}.tmp"
    with temporary.open("w", encoding="utf-8") as file:
        json.dump(data, file, indent=2)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, directory / METADATA_FILE)


def _parse_public_record(entry: Mapping[str, Any]) -> PublicKeyRecord:
    if entry["kty"] != "OKP" or entry["crv"] != "Ed25519":
        raise PublishedKeysError(f"key {entry.get('kid')!r} is not an Ed25519 key")
    public_key = Ed25519PublicKey.from_public_bytes(_unb64url(entry["x"]))
    if key_id_for(public_key) != entry["kid"]:
        raise PublishedKeysError(f"key id {entry['kid']!r} does not match its key")
    retired = entry["retired_at"]
    return PublicKeyRecord(
        key_id=entry["kid"],
        public_key=public_key,
        valid_from=_parse_iso(entry["valid_from"]),
        retired_at=None if retired is None else _parse_iso(retired),
    )


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    with (directory / LOCK_FILE).open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _require_aware(now: datetime) -> None:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")


def _seconds(when: datetime) -> datetime:
    return when.astimezone(UTC).replace(microsecond=0)


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _parse_iso(text: str) -> datetime:
    when = datetime.fromisoformat(text)
    if when.tzinfo is None:
        raise ValueError(f"time {text!r} has no UTC offset")
    return when.astimezone(UTC)


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
