"""Who to contact about privacy (POL-03): all from settings."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class PrivacyContact:
    email: str
    phone: str
    address: str
    dpo_name: str
    dpo_email: str
    eu_representative_name: str
    eu_representative_address: str
    eu_representative_email: str
    authority_name: str
    authority_url: str

    @property
    def has_eu_representative(self) -> bool:
        return bool(self.eu_representative_name)


def privacy_contact() -> PrivacyContact:
    return PrivacyContact(
        email=settings.PRIVACY_EMAIL,
        phone=settings.PRIVACY_PHONE,
        address=settings.PRIVACY_ADDRESS,
        dpo_name=settings.DPO_NAME,
        dpo_email=settings.DPO_EMAIL,
        eu_representative_name=settings.EU_REPRESENTATIVE_NAME,
        eu_representative_address=settings.EU_REPRESENTATIVE_ADDRESS,
        eu_representative_email=settings.EU_REPRESENTATIVE_EMAIL,
        authority_name=settings.SUPERVISORY_AUTHORITY_NAME,
        authority_url=settings.SUPERVISORY_AUTHORITY_URL,
    )
