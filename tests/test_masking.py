"""One masking of personal data for every public page."""

from __future__ import annotations

import pytest

from postal_tracker.masking import mask_name, mask_phone


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("Nguyễn Thị Phương Thảo", "N. T. P. Thảo"),
        ("  Trần   Văn  An ", "T. V. An"),
        ("Lê Na", "L. Na"),
        ("Thảo", "T***"),  # one word alone would be the whole name
        ("", ""),
        ("   ", ""),
    ],
)
def test_a_name_shows_initials_and_the_given_name_only(name: str, shown: str) -> None:
    assert mask_name(name) == shown


def test_no_family_or_middle_name_is_readable() -> None:
    masked = mask_name("Nguyễn Thị Phương Thảo")
    assert not {"Nguyễn", "Thị", "Phương"} & set(masked.split())


def test_the_phone_keeps_two_digits_in_front_and_three_at_the_end() -> None:
    assert mask_phone("+84912345678") == "09xx xxx 678"
