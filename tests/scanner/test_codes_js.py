"""The scanner's own code checks (static/scanner/codes.js), run under node,
judge every code exactly as postal_tracker/s10.py and slips/token.py do."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from postal_tracker import s10
from postal_tracker.slips.keys import KeyRing
from postal_tracker.slips.token import InvalidToken, sign_slip, slip_url, token_from_scan

CODES_JS = Path(s10.__file__).parent / "static" / "scanner" / "codes.js"
# Reads {"validate": [...], "scan": [...]} on stdin; answers with, for each
# text, the code or the reason it was refused.
RUN = """
const codes = require(process.argv[1]);
const input = JSON.parse(require("fs").readFileSync(0, "utf8"));
const answer = (r) => r.code || r.error;
process.stdout.write(JSON.stringify({
  validate: input.validate.map((t) => answer(codes.validateCode(t))),
  scan: input.scan.map((t) => answer(codes.parseScan(t))),
}));
"""
REASONS = {"format": "bad_format", "check_digit": "bad_code"}


def _in_node(validate: list[str], scan: list[str]) -> dict[str, list[str]]:
    node = shutil.which("node")
    if node is None:
        # On CI a missing node is a broken set-up, not a reason to skip.
        if os.environ.get("CI"):
            pytest.fail(
                "node is not installed (make test installs it: scripts/ensure-debian-packages)"
            )
        pytest.skip("node is not installed: apt-get install -y nodejs")
    done = subprocess.run(
        [node, "-e", RUN, str(CODES_JS)],
        input=json.dumps({"validate": validate, "scan": scan}),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    answer: dict[str, list[str]] = json.loads(done.stdout)
    return answer


def _on_server(text: str) -> str:
    try:
        return s10.validate(text)
    except s10.InvalidTrackingCode as e:
        return REASONS[e.code]


def _typos(code: str) -> list[str]:
    """Every single-digit substitution and adjacent swap of the 9 digits."""
    digits, texts = code[2:11], []
    for i in range(9):
        texts += [code[:2] + digits[:i] + d + digits[i + 1 :] + code[11:] for d in "0123456789"]
        if i < 8:
            swapped = digits[:i] + digits[i + 1] + digits[i] + digits[i + 2 :]
            texts.append(code[:2] + swapped + code[11:])
    return texts


def test_codes_and_their_typos_are_judged_as_the_server_judges_them() -> None:
    rng = random.Random(10)
    # Every serial below 5,000 and a sample of the rest, issuable or not (the
    # page must refuse the same ones); the typos of a sample of issued codes.
    serials = [*range(5_000), 12_345_678, s10.SERIAL_MAX, *rng.sample(range(10**8), 5_000)]
    texts = [s10.make("HC", serial) for serial in serials]
    for serial in rng.sample(serials, 500):
        if s10.issuable(serial):
            texts += _typos(s10.make("HC", serial))
    texts += ["hc 0000 0001 9 vn", "HC-00000001-9VN", "HC00000001VN", "", "1234567890123"]
    texts += ["HC0000000199VN", "H100000001VN", "hc00000001 9vn\t", "ĐC000000019VN"]
    on_server = [_on_server(t) for t in texts]
    assert _in_node(texts, [])["validate"] == on_server
    refused = sum(r in REASONS.values() for r in on_server)
    assert len(texts) // 2 < refused < len(texts)  # typos really were refused, codes accepted


def test_the_code_in_a_slip_qr_is_read_as_the_server_reads_it(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    ring = KeyRing.load_or_create(tmp_path / "keys", now)
    rng = random.Random(9)
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

    def any_code() -> str:
        prefix, country = ("".join(rng.choices(letters, k=2)) for _ in range(2))
        return s10.make(prefix, s10.next_issuable(rng.randrange(99_999_000)), country)

    codes = [
        s10.make("AA", s10.next_issuable(0), "AA"),
        s10.make("ZZ", s10.next_issuable(99_999_000), "ZZ"),
    ]
    codes += [any_code() for _ in range(300)]
    urls = [
        slip_url("https://dvc.example.vn", sign_slip(ring, c, rng.randrange(2**48), now))
        for c in codes
    ]
    tokens = [token_from_scan(url) for url in urls]
    scans = [
        *urls,
        *(url.lower() for url in urls[:50]),  # a browser opens the URL in lower case
        *tokens[:50],  # a bare token
        *(f"  {t.lower()}\n" for t in tokens[:20]),
    ]
    # Not a token of ours: too short, a character short or over, not base32,
    # another version (the first byte 2).
    scans += ["HTTP://X/V/ABC", urls[0][:-1], urls[0] + "A", urls[0][:-1] + "1"]
    scans.append("AI" + tokens[0][2:])

    def server_reads(text: str) -> str:
        try:
            return ring.verify(token_from_scan(text)).tracking_code
        except InvalidToken:
            return "bad_code"

    on_server = [server_reads(t) for t in scans]
    assert on_server[: len(codes)] == codes and on_server[-5:] == ["bad_code"] * 5
    assert _in_node([], scans)["scan"] == on_server
