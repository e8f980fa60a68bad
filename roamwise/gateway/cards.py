"""Test cards of the simulated gateway, and card-number checks."""

from __future__ import annotations

from dataclasses import dataclass

SUCCESS = "success"
DECLINED = "card_declined"
INSUFFICIENT_FUNDS = "insufficient_funds"
CHALLENGE = "challenge"
PROCESSING_ERROR = "processing_error"

TEST_CARDS: dict[str, str] = {
    "4242424242424242": SUCCESS,
    "5555555555554444": SUCCESS,
    "4000000000000002": DECLINED,
    "4000000000009995": INSUFFICIENT_FUNDS,
    "4000000000003220": CHALLENGE,
    "4000000000000119": PROCESSING_ERROR,
}


def luhn_valid(number: str) -> bool:
    if not (number.isascii() and number.isdigit()) or not 12 <= len(number) <= 19:
        return False
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char)
        if index % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def brand_of(number: str) -> str:
    if number.startswith("4"):
        return "visa"
    if number[:2] in {"51", "52", "53", "54", "55"} or 2221 <= int(number[:4]) <= 2720:
        return "mastercard"
    if number[:2] in {"34", "37"}:
        return "amex"
    return "unknown"


@dataclass(frozen=True)
class CardCheck:
    outcome: str
    brand: str
    last4: str


def check_card(number: str) -> CardCheck:
    digits = "".join(ch for ch in number if ch.isascii() and ch.isdigit())
    if any(not (ch.isascii() and (ch.isdigit() or ch in " -")) for ch in number):
        return CardCheck("invalid_number", "", "")
    if not luhn_valid(digits):
        return CardCheck("invalid_number", "", "")
    # A real card that is not a test card is refused: this is a test gateway.
    outcome = TEST_CARDS.get(digits, DECLINED)
    return CardCheck(outcome, brand_of(digits), digits[-4:])
