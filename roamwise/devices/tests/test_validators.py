from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from roamwise.devices.validators import (
    eid_check_digits,
    eid_is_valid,
    eid_normalise,
    imei_is_valid,
    imei_normalise,
    luhn_check_digit,
    normalise_imei,
)

DIGITS = "0123456789"
FULL_WIDTH_EID = "".join(chr(0xFF10 + int(d)) for d in "89049032123451234512345678901235")


@pytest.mark.parametrize(
    "eid",
    [
        "89049032123451234512345678901235",  # SGP.26 test EID
        "89086030202200000022000023022943",
        "8904 9032 1234 5123 4512 3456 7890 1235",
        "8904-9032-1234-5123-4512-3456-7890-1235",
    ],
)
def test_valid_eids(eid: str) -> None:
    assert eid_is_valid(eid) is True


@pytest.mark.parametrize(
    "eid",
    [
        "89001012012341234012345678901234",  # 32 digits, wrong check digits
        "89049032123451234512345678901236",
        "8904903212345123451234567890123",  # 31 digits
        "890490321234512345123456789012350",  # 33 digits
        "8904903212345123451234567890123A",
        FULL_WIDTH_EID,  # digits, but not ASCII ones
        "",
    ],
)
def test_invalid_eids(eid: str) -> None:
    assert eid_is_valid(eid) is False


def test_eid_normalise_drops_spaces_and_dashes_only() -> None:
    assert eid_normalise(" 8904 9032-1234\u00a05123 ") == "8904903212345123"
    assert eid_normalise("89.04") == "89.04"


@given(body=st.text(alphabet=DIGITS, min_size=30, max_size=30))
def test_any_eid_body_with_its_check_digits_is_valid(body: str) -> None:
    assert eid_is_valid(body + eid_check_digits(body)) is True


@given(
    body=st.text(alphabet=DIGITS, min_size=30, max_size=30),
    position=st.integers(min_value=0, max_value=31),
    shift=st.integers(min_value=1, max_value=9),
)
def test_changing_any_one_eid_digit_makes_it_invalid(body: str, position: int, shift: int) -> None:
    eid = body + eid_check_digits(body)
    changed = str((int(eid[position]) + shift) % 10)

    assert eid_is_valid(eid[:position] + changed + eid[position + 1 :]) is False


@pytest.mark.parametrize(
    "imei",
    [
        "490154203237518",
        "352099001761481",
        "35 209900 176148 1",
        "35-209900-176148-1",
    ],
)
def test_valid_imeis(imei: str) -> None:
    assert imei_is_valid(imei) is True


@pytest.mark.parametrize(
    "imei",
    [
        "490154203237519",  # wrong check digit
        "49015420323751",  # 14 digits
        "4901542032375180",  # 16 digits (an IMEISV has no check digit)
        "49015420323751X",
        "",
    ],
)
def test_invalid_imeis(imei: str) -> None:
    assert imei_is_valid(imei) is False


def test_imei_normalise() -> None:
    assert imei_normalise("35-209900 176148-1") == "352099001761481"
    assert normalise_imei is imei_normalise


@given(body=st.text(alphabet=DIGITS, min_size=14, max_size=14))
def test_any_imei_body_with_its_luhn_digit_is_valid(body: str) -> None:
    assert imei_is_valid(body + luhn_check_digit(body)) is True


@given(
    body=st.text(alphabet=DIGITS, min_size=14, max_size=14),
    position=st.integers(min_value=0, max_value=14),
    shift=st.integers(min_value=1, max_value=9),
)
def test_changing_any_one_imei_digit_makes_it_invalid(body: str, position: int, shift: int) -> None:
    imei = body + luhn_check_digit(body)
    changed = str((int(imei[position]) + shift) % 10)

    assert imei_is_valid(imei[:position] + changed + imei[position + 1 :]) is False


def test_eid_check_digits_needs_a_30_digit_body() -> None:
    with pytest.raises(ValueError, match="30 digits"):
        eid_check_digits("1234")
