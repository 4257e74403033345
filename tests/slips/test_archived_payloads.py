"""Slips archived by earlier versions still reprint: each payload in
``fixtures/`` was dumped from the archive by the code of its time (the demo
data's intake slips, a manifest's handover slip, an intake slip signed on
screen in English), and the engine of today draws a marked copy of it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from postal_tracker.slips.issuing import render_slip
from postal_tracker.slips.layouts import Layout
from postal_tracker.slips.model import HandoverSlipData, IntakeSlipData
from postal_tracker.slips.payload import SLIP_VERSION, SlipPayload
from postal_tracker.slips.strings import display_code
from tests.slips.pdfcheck import image_count, qr_texts, text_of

FIXTURES = sorted((Path(__file__).parent / "fixtures").glob("*.json"))


def archived(path: Path) -> dict[str, Any]:
    record: dict[str, Any] = json.loads(path.read_text())
    return record


def test_there_are_payloads_of_each_kind() -> None:
    kinds = {archived(path)["kind"] for path in FIXTURES}
    assert kinds == {"intake", "handover"}


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_an_archived_payload_reprints_as_a_marked_copy(
    path: Path, layouts: dict[str, Layout]
) -> None:
    record = archived(path)
    payload = SlipPayload.from_json(record["payload"], record["kind"])
    assert payload.version == 1  # archived before the version was kept
    assert payload.kind == record["kind"]
    pdf = render_slip(payload, layouts[record["layout"]], record["lang"], copy=True)
    text = text_of(pdf)
    assert ("BẢN SAO" if record["lang"] == "vi" else "COPY") in text
    data = payload.data
    if isinstance(data, IntakeSlipData):
        assert display_code(data.tracking_code) in text and data.sender.name in text
        # The sender's signature on each part on the first page (A4 has both there).
        parts_on_page_one = 2 if record["layout"] == "a4-slip" else 1
        assert image_count(pdf) == (parts_on_page_one if data.sender.signature_png else 0)
    else:
        assert isinstance(data, HandoverSlipData)
        assert all(display_code(item.tracking_code) in text for item in data.items)
    assert qr_texts(pdf, dpi=200) and set(qr_texts(pdf, dpi=200)) == {data.qr_text}
    # Saved again, it is saved in today's version and loads to the same data.
    again = SlipPayload.from_json(payload.to_json(), "ignored: the payload names its kind")
    assert again == SlipPayload(data, SLIP_VERSION)


def test_a_payload_from_a_later_version_is_refused() -> None:
    record = archived(FIXTURES[0])
    with pytest.raises(ValueError, match="version 3"):
        SlipPayload.from_json({**record["payload"], "version": 3}, record["kind"])
