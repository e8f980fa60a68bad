"""ICCIDs as the network knows them (ITU-T E.118): 19 digits with a Luhn check
digit. SIM tooling often writes a 20th nibble 'F' as padding (SGP.22 §5.2.1);
with or without it, it is the same ICCID."""

from __future__ import annotations

from .errors import InvalidRequest

ICCID_DIGITS = 19


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        digit = int(char)
        if index % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def normalise_iccid(raw: str) -> str:
    """The 19-digit form of ``raw``, or ``InvalidRequest`` saying what is wrong."""
    iccid = raw[:-1] if len(raw) == ICCID_DIGITS + 1 and raw.endswith("F") else raw
    if len(iccid) != ICCID_DIGITS or not (iccid.isascii() and iccid.isdigit()):
        raise InvalidRequest(
            "An ICCID is 19 digits, optionally followed by the padding character 'F'."
        )
    if not luhn_valid(iccid):
        raise InvalidRequest("The ICCID's check digit is wrong.")
    return iccid
