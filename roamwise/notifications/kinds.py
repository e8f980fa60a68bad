"""Every kind of message the shop sends, declared once.

A kind is either *service* (sent to every customer whatever their marketing
choices, USE-03) or *marketing* (sent only with opt-in consent, and always
with a one-click way out, USE-02). Each kind names the channels it may use;
the preferences page offers exactly these, and a service kind's email cannot
be turned off.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.utils.translation import gettext


class Category(StrEnum):
    SERVICE = "service"
    MARKETING = "marketing"


class Channel(StrEnum):
    EMAIL = "email"
    IN_SITE = "in_site"


CHANNEL_LABELS = {Channel.EMAIL: "Email", Channel.IN_SITE: "In the site"}


@dataclass(frozen=True)
class Kind:
    name: str
    label: str
    category: Category
    channels: tuple[Channel, ...] = (Channel.EMAIL, Channel.IN_SITE)
    # A locked account (a minor waiting for a parent's consent, a closed
    # account) is not a customer: only what it needs to open or be secured,
    # and the answers to its privacy requests, reach it (CHD-02).
    reaches_locked_accounts: bool = False

    @property
    def is_marketing(self) -> bool:
        return self.category == Category.MARKETING

    def can_turn_off(self, channel: Channel) -> bool:
        # Service email always goes (verification, security, orders): USE-03.
        return self.is_marketing or channel != Channel.EMAIL


BOTH = (Channel.EMAIL, Channel.IN_SITE)
EMAIL_ONLY = (Channel.EMAIL,)

KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind(
            "account",
            "Email verification and sign-in",
            Category.SERVICE,
            EMAIL_ONLY,
            reaches_locked_accounts=True,
        ),
        Kind("security", "Security alerts", Category.SERVICE, BOTH, reaches_locked_accounts=True),
        Kind(
            "parental_consent",
            "A parent's consent to a child's account",
            Category.SERVICE,
            EMAIL_ONLY,
        ),
        Kind("order", "Orders, receipts and refunds", Category.SERVICE, BOTH),
        Kind("esim", "eSIM ready to install and eSIM changes", Category.SERVICE, BOTH),
        Kind("low_data", "Low data balance (80% and 100% used)", Category.SERVICE, BOTH),
        Kind("expiry", "Plan about to expire", Category.SERVICE, BOTH),
        Kind("policy", "Changes to our terms and privacy policy", Category.SERVICE, BOTH),
        Kind("support", "Replies to your support requests", Category.SERVICE, BOTH),
        Kind(
            "privacy_request",
            "Your privacy requests and our answers",
            Category.SERVICE,
            BOTH,
            reaches_locked_accounts=True,
        ),
        Kind("staff_alert", "Alerts for staff", Category.SERVICE, EMAIL_ONLY),
        Kind("promotions", "Offers and promotions", Category.MARKETING, BOTH),
        Kind("newsletter", "Travel tips newsletter", Category.MARKETING, EMAIL_ONLY),
    )
}


class UnknownKind(ValueError):
    pass


def kind_get(name: str) -> Kind:
    try:
        return KINDS[name]
    except KeyError:
        raise UnknownKind(
            gettext("%(name)r is not a notification kind; declare it in kinds.py") % {"name": name}
        ) from None
