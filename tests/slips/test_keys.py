"""The key ring: created on first use, private keys private, rotation with an
overlap, and verification from the published key set alone."""

from __future__ import annotations

import json
import stat
from datetime import timedelta
from pathlib import Path

import pytest

from postal_tracker.slips.keys import (
    CLOCK_SKEW,
    KeyRing,
    KeyStoreError,
    PublishedKeysError,
    verify_with_published_keys,
)
from postal_tracker.slips.token import InvalidToken, sign_slip
from tests.slips.conftest import NOW


def published(ring: KeyRing) -> dict[str, object]:
    """The key set as a verifier gets it: through JSON."""
    parsed: dict[str, object] = json.loads(json.dumps(ring.public_keys_json()))
    return parsed


def test_first_use_creates_a_private_key_only_the_owner_can_read(tmp_path: Path) -> None:
    directory = tmp_path / "instance" / "keys"
    ring = KeyRing.load_or_create(directory, NOW)
    key_file = directory / f"{ring.active.key_id}.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert len(ring.active.key_id) == 8  # 4 bytes in hex
    again = KeyRing.load_or_create(directory, NOW + timedelta(days=1))
    assert again.active.key_id == ring.active.key_id
    assert len(again.records) == 1


def test_published_keys_name_each_key_and_its_period(keyring: KeyRing) -> None:
    document = keyring.public_keys_json()
    [key] = document["keys"]
    assert key["kid"] == keyring.active.key_id
    assert key["kty"] == "OKP" and key["crv"] == "Ed25519" and key["alg"] == "EdDSA"
    assert key["valid_from"] == "2025-11-27T07:05:30Z"
    assert key["retired_at"] is None
    assert len(key["x"]) == 43  # 32 bytes, base64url without padding


def test_a_slip_signed_before_a_rotation_still_verifies(
    keyring: KeyRing, tracking_code: str
) -> None:
    old_token = sign_slip(keyring, tracking_code, 1, NOW)
    later = NOW + timedelta(days=90)
    rotated = keyring.rotate(later)
    assert rotated.active.key_id != keyring.active.key_id
    assert not (rotated.directory / f"{keyring.active.key_id}.key").exists()
    new_token = sign_slip(rotated, tracking_code, 2, later)
    for token, key_id in ((old_token, keyring.active.key_id), (new_token, rotated.active.key_id)):
        assert verify_with_published_keys(token, published(rotated)).key_id == key_id
        assert rotated.verify(token).key_id == key_id
    reloaded = KeyRing.load_or_create(keyring.directory, later)
    assert reloaded.active.key_id == rotated.active.key_id


def test_a_retired_key_signs_only_until_the_overlap_ends(
    keyring: KeyRing, tracking_code: str
) -> None:
    rotated = keyring.rotate(NOW, overlap=timedelta(hours=1))
    # A server that has not reloaded yet still holds the old key.
    in_overlap = sign_slip(keyring, tracking_code, 1, NOW + timedelta(minutes=50))
    assert rotated.verify(in_overlap).key_id == keyring.active.key_id
    too_late = sign_slip(keyring, tracking_code, 2, NOW + timedelta(hours=1) + CLOCK_SKEW * 2)
    with pytest.raises(InvalidToken) as error:
        verify_with_published_keys(too_late, published(rotated))
    assert error.value.reason == "outside_key_validity"


def test_a_slip_dated_before_its_key_existed_is_refused(
    keyring: KeyRing, tracking_code: str
) -> None:
    backdated = sign_slip(keyring, tracking_code, 1, NOW - timedelta(days=1))
    with pytest.raises(InvalidToken) as error:
        keyring.verify(backdated)
    assert error.value.reason == "outside_key_validity"


def test_rotation_reads_the_directory_not_a_stale_ring(keyring: KeyRing) -> None:
    first = keyring.rotate(NOW + timedelta(days=1))
    second = keyring.rotate(NOW + timedelta(days=2))  # from the stale ring
    assert len(second.records) == 3
    assert {r.key_id for r in second.records} >= {keyring.active.key_id, first.active.key_id}
    assert sum(r.retired_at is None for r in second.records) == 1


def test_verification_needs_only_the_published_document(
    keyring: KeyRing, tracking_code: str
) -> None:
    token = sign_slip(keyring, tracking_code, 9, NOW)
    document = json.dumps(keyring.public_keys_json())
    slip = verify_with_published_keys(token, json.loads(document))
    assert slip.tracking_code == tracking_code


@pytest.mark.parametrize(
    "spoil",
    [
        lambda d: d.pop("format"),
        lambda d: d.pop("keys"),
        lambda d: d["keys"][0].pop("x"),
        lambda d: d["keys"][0].update(x="not base64!"),
        lambda d: d["keys"][0].update(x="AAAA"),
        lambda d: d["keys"][0].update(kid="00000000"),
        lambda d: d["keys"][0].update(crv="P-256"),
        lambda d: d["keys"][0].update(valid_from="yesterday"),
        lambda d: d["keys"][0].update(valid_from="2025-11-27T07:05:30"),
        lambda d: d.update(keys="none"),
    ],
)
def test_a_spoilt_key_set_is_refused(keyring: KeyRing, tracking_code: str, spoil: object) -> None:
    token = sign_slip(keyring, tracking_code, 9, NOW)
    document = json.loads(json.dumps(keyring.public_keys_json()))
    spoil(document)  # type: ignore[operator]
    with pytest.raises(PublishedKeysError):
        verify_with_published_keys(token, document)


def test_keys_without_metadata_are_not_replaced(tmp_path: Path) -> None:
    directory = tmp_path / "keys"
    directory.mkdir()
    (directory / "deadbeef.key").write_text("x")
    with pytest.raises(KeyStoreError, match="restore the metadata"):
        KeyRing.load_or_create(directory, NOW)


def test_damaged_metadata_is_reported(keyring: KeyRing) -> None:
    (keyring.directory / "keys.json").write_text("{not json")
    with pytest.raises(KeyStoreError, match=r"keys\.json"):
        KeyRing.load_or_create(keyring.directory, NOW)


def test_a_missing_active_key_is_reported(keyring: KeyRing) -> None:
    (keyring.directory / f"{keyring.active.key_id}.key").unlink()
    with pytest.raises(KeyStoreError, match="active private key"):
        KeyRing.load_or_create(keyring.directory, NOW)


def test_a_swapped_private_key_is_reported(keyring: KeyRing, tmp_path: Path) -> None:
    other = KeyRing.load_or_create(tmp_path / "other", NOW)
    source = other.directory / f"{other.active.key_id}.key"
    (keyring.directory / f"{keyring.active.key_id}.key").write_bytes(source.read_bytes())
    with pytest.raises(KeyStoreError, match="does not match"):
        KeyRing.load_or_create(keyring.directory, NOW)


def test_times_must_be_aware(tmp_path: Path, keyring: KeyRing) -> None:
    with pytest.raises(ValueError, match="timezone"):
        KeyRing.load_or_create(tmp_path / "k", NOW.replace(tzinfo=None))
    with pytest.raises(ValueError, match="timezone"):
        keyring.rotate(NOW.replace(tzinfo=None))
    with pytest.raises(ValueError, match="overlap"):
        keyring.rotate(NOW, overlap=timedelta(seconds=-1))
