"""Check digits of the identifiers a device reports: EID and IMEI.

Pure functions with no Django imports, so the eSIM app can use them too.
``*_normalise`` drops the formatting people type or copy (spaces, dashes);
``*_is_valid`` accepts that formatting as well, but anything stored or sent to
another system must be the normalised form.
"""

from __future__ import annotations

import re

# Whitespace (including no-break spaces) and the dashes phones and keyboards produce.
_FORMATTING = re.compile(r"[\s\-\u2010\u2011\u2012\u2013\u2014\u2212]+")
_EID = re.compile(r"[0-9]{32}")
_IMEI = re.compile(r"[0-9]{15}")

EID_LENGTH = 32
IMEI_LENGTH = 15


def _strip_formatting(raw: str) -> str:
    return _FORMATTING.sub("", raw)


def eid_normalise(raw: str) -> str:
    """The EID without spaces or dashes; not validated."""
    return _strip_formatting(raw)


def eid_is_valid(eid: str) -> bool:
    """32 decimal digits whose check digits are right.

    SGP.29 §10 / ISO/IEC 7064 MOD 97-10 (as IBAN): valid iff the 32-digit
    number mod 97 is 1 (reference es2plus.md §1.11).
    """
    digits = eid_normalise(eid)
    # fullmatch on [0-9], not str.isdigit(): that also accepts other scripts' digits.
    return bool(_EID.fullmatch(digits)) and int(digits) % 97 == 1


def eid_check_digits(body: str) -> str:
    """The two check digits that complete a 30-digit EID body."""
    if not re.fullmatch(r"[0-9]{30}", body):
        raise ValueError("an EID body is 30 digits")
    return f"{98 - int(body + '00') % 97:02d}"


def imei_normalise(raw: str) -> str:
    """The IMEI without spaces or dashes; not validated."""
    return _strip_formatting(raw)


# The verb-first spelling, as in accounts.forms.normalise_phone.
normalise_imei = imei_normalise


def luhn_check_digit(body: str) -> str:
    """The Luhn digit that completes ``body`` (a string of decimal digits)."""
    total = 0
    # Double every second digit counting from the right of the body, which is
    # every second digit from the check digit's left neighbour.
    for position, char in enumerate(reversed(body)):
        value = int(char)
        if position % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def imei_is_valid(imei: str) -> bool:
    """15 decimal digits whose last one is the Luhn check digit (3GPP TS 23.003 Annex B)."""
    digits = imei_normalise(imei)
    if not _IMEI.fullmatch(digits):
        return False
    return luhn_check_digit(digits[:-1]) == digits[-1]


# SGP.22 §5.2.1: 19 or 20 digits, "where the 20th digit MAY optionally be the
# padding character F"; E.118 encodes a 19-digit ICCID on a card padded with F.
_ICCID = re.compile(r"[0-9]{19}[0-9Ff]?")


def iccid_normalise(raw: str) -> str:
    """The ICCID as we store and compare it: its digits, without the 'F' pad.

    "A 19 digit ICCID with and without padding SHALL identify the same
    Profile" (SGP.22 §5.2.1). Raises ``ValueError`` for anything else.
    """
    if not isinstance(raw, str) or not _ICCID.fullmatch(raw):
        raise ValueError("An ICCID is 19 or 20 digits; a 19-digit one may end with the pad 'F'.")
    return raw[:-1] if raw[-1] in "Ff" else raw


def iccid_padded(iccid: str) -> str:
    """The 20-character wire form: a 19-digit ICCID with its 'F' pad, as SGP.22
    before v2.2 and many SM-DP+ vendors expect it; a 20-digit one unchanged."""
    digits = iccid_normalise(iccid)
    return f"{digits}F" if len(digits) == 19 else digits
