"""S10 tracking codes: the check digit catches every typo it promises to."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from postal_tracker import s10

serials = st.integers(min_value=0, max_value=s10.SERIAL_MAX)
prefixes = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=2)


def test_check_digit_by_the_book() -> None:
    # Weights 8 6 4 2 3 5 9 7: 4*8+7*6+3*4+1*2+2*3+4*5+8*9+2*7 = 200; 11 - 200 % 11 = 9.
    assert s10.check_digit("47312482") == 9
    assert s10.check_digit("00000000") == 5  # 11 -> 5
    assert s10.check_digit("00000001") == 4
    assert s10.make("RR", 47312482, "FR") == "RR473124829FR"


def test_codes_that_hide_typos_are_never_issued() -> None:
    # 00000000 (check 5) and 90000000 (sum 72, also check 5) differ by one digit.
    assert not s10.issuable(0) and not s10.issuable(90_000_000)
    assert not s10.is_valid(s10.make("HC", 0))
    issued = [s10.next_issuable(n) for n in range(0, 50_000_000, 999_983)]
    assert all(s10.is_valid(s10.make("HC", n)) for n in issued)


def issued_serials() -> st.SearchStrategy[int]:
    return serials.map(lambda n: s10.next_issuable(min(n, 99_999_000)))


@given(prefixes, issued_serials())
def test_made_codes_validate(prefix: str, serial: int) -> None:
    code = s10.make(prefix, serial)
    assert s10.validate(code) == code
    assert len(code) == 13 and code.endswith("VN")


@given(prefixes, issued_serials(), st.integers(0, 8), st.integers(0, 9))
def test_every_single_digit_substitution_is_rejected(
    prefix: str, serial: int, position: int, digit: int
) -> None:
    code = s10.make(prefix, serial)
    index = 2 + position  # the 8 serial digits and the check digit
    if code[index] == str(digit):
        return
    typo = code[:index] + str(digit) + code[index + 1 :]
    assert not s10.is_valid(typo)


@given(prefixes, issued_serials(), st.integers(0, 7))
def test_every_adjacent_swap_is_rejected(prefix: str, serial: int, position: int) -> None:
    code = s10.make(prefix, serial)
    i = 2 + position
    if code[i] == code[i + 1]:
        return  # swapping equal digits changes nothing
    # position 7 swaps the last serial digit with the check digit
    swapped = code[:i] + code[i + 1] + code[i] + code[i + 2 :]
    assert not s10.is_valid(swapped)


def test_exhaustive_typos_on_a_sample() -> None:
    for start in range(0, 100_000_000, 765_432):
        code = s10.make("HC", s10.next_issuable(start))
        for i in range(2, 11):
            for d in "0123456789":
                if d != code[i]:
                    assert not s10.is_valid(code[:i] + d + code[i + 1 :])
            if i < 11 and code[i] != code[i + 1] and code[i + 1].isdigit():
                assert not s10.is_valid(code[:i] + code[i + 1] + code[i] + code[i + 2 :])


@pytest.mark.parametrize(
    "text",
    ["", "HC", "HC12345678VN", "HC1234567890VN", "1C123456785VN", "HC12345678XVN", "HC123456785V"],
)
def test_malformed_codes(text: str) -> None:
    with pytest.raises(s10.InvalidTrackingCode) as err:
        s10.validate(text)
    assert err.value.code == "format"


def test_normalises_what_people_and_scanners_type() -> None:
    code = s10.make("HC", s10.next_issuable(12345678))
    assert s10.validate(" " + s10.format_code(code).lower() + "\n") == code


@pytest.mark.parametrize(
    ("prefix", "serial"), [("hc", 1), ("H", 1), ("HC", -1), ("HC", 100_000_000)]
)
def test_make_refuses_bad_parts(prefix: str, serial: int) -> None:
    with pytest.raises(ValueError):
        s10.make(prefix, serial)
