"""The disclosure log: every call that sends personal data out writes one row (SHR-03)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date

from django.utils import timezone
from django.utils.translation import gettext

from roamwise.datamap.vocabulary import CATEGORIES, PURPOSES

from .errors import RecipientNotVetted
from .models import Disclosure, PartnerVetting
from .processors import is_registered

# Courts and authorities are not chosen or screened by us: they receive data
# only under a legal request we assessed (SHR-05).
VETTING_NOT_NEEDED = frozenset({"authority"})


def is_vetted(recipient: str) -> bool:
    """Its screening and confidentiality agreement are on record, and not in the future."""
    today = timezone.localdate()
    return PartnerVetting.objects.filter(
        recipient=recipient, screened_on__lte=today, confidentiality_signed_on__lte=today
    ).exists()


def disclosure_record(
    *,
    subject_id: uuid.UUID,
    recipient: str,
    categories: Iterable[str],
    purpose: str,
    reference: str = "",
) -> Disclosure:
    categories = sorted(set(categories))
    # SHR-01: data goes only to registered processors and partners.
    if not is_registered(recipient):
        raise ValueError(
            f"unknown recipient {recipient!r}: add it to the processors registry first"
        )
    # SHR-07: and only once screened and bound to confidentiality, on record.
    if recipient not in VETTING_NOT_NEEDED and not is_vetted(recipient):
        raise RecipientNotVetted(
            gettext(
                "This cannot be done right now: one of our partners is not yet cleared to "
                "receive your data. Nothing was sent; please try again later."
            )
        )
    unknown = [c for c in categories if c not in CATEGORIES]
    if unknown or purpose not in PURPOSES:
        raise ValueError(f"unknown category or purpose: {unknown or purpose}")
    disclosure = Disclosure(
        subject_id=subject_id,
        recipient=recipient,
        categories=categories,
        purpose=purpose,
        reference=reference,
    )
    # Saved as an instance, so that the residency router sees its subject (RET-08).
    disclosure.save(force_insert=True)
    return disclosure


def partner_vetting_record(
    *,
    recipient: str,
    privacy_policy_url: str,
    screened_on: date,
    confidentiality_signed_on: date,
    notes: str = "",
) -> PartnerVetting:
    """Record (or renew) a recipient's screening and confidentiality agreement."""
    vetting = PartnerVetting.objects.filter(recipient=recipient).first() or PartnerVetting(
        recipient=recipient
    )
    vetting.privacy_policy_url = privacy_policy_url
    vetting.screened_on = screened_on
    vetting.confidentiality_signed_on = confidentiality_signed_on
    vetting.notes = notes
    vetting.full_clean()
    vetting.save()
    return vetting
