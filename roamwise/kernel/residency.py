"""Where a customer's data is kept (RET-08, ADR 0013).

``DATA_REGION`` says where this deployment's databases are. With
``EU_DATABASE_URL`` set, a second database alias, "eu", holds the rows of the
pinned models for customers whose region is the EU; the residency router
(``router.py``) sends writes there by the row's subject, and readers of a
pinned model ask ``database_for_subject`` where to read. Without an EU
database nothing here queries anything: every row is in "default".
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS
from django.utils.translation import gettext

from .errors import PolicyError

if TYPE_CHECKING:
    from roamwise.accounts.models import User

    from .models import DataResidency

EU_ALIAS = "eu"

# Models whose rows can live in the EU database. Each is in the data map, keyed
# by the subject's public id, and has no foreign key (a system check proves it):
# a row in one database cannot point at a row in another. Their readers use
# database_for_subject().
PINNED_MODELS: tuple[str, ...] = ("governance.Disclosure",)

# The European Economic Area: EU member states, Iceland, Liechtenstein, Norway.
EEA_COUNTRIES = frozenset(
    {
        "AT",
        "BE",
        "BG",
        "HR",
        "CY",
        "CZ",
        "DK",
        "EE",
        "FI",
        "FR",
        "DE",
        "GR",
        "HU",
        "IE",
        "IT",
        "LV",
        "LT",
        "LU",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SK",
        "SI",
        "ES",
        "SE",
        "IS",
        "LI",
        "NO",
    }
)


def eu_database_configured() -> bool:
    return EU_ALIAS in settings.DATABASES


def is_pinned(label_lower: str) -> bool:
    return label_lower in {label.lower() for label in PINNED_MODELS}


def region_for_country(country: str) -> str:
    """The region a customer from ``country`` (ISO 3166 alpha-2) belongs to."""
    return "eu" if country.strip().upper() in EEA_COUNTRIES else settings.DATA_REGION


def region_of_subject(public_id: uuid.UUID) -> str:
    from .models import DataResidency

    region = (
        DataResidency.objects.using(DEFAULT_DB_ALIAS)
        .filter(user__public_id=public_id)
        .values_list("region", flat=True)
        .first()
    )
    return region or settings.DATA_REGION


def database_for_region(region: str) -> str:
    if region == "eu" and eu_database_configured():
        return EU_ALIAS
    return DEFAULT_DB_ALIAS


def database_for_subject(public_id: uuid.UUID) -> str:
    """The database alias a subject's pinned rows are in."""
    if not eu_database_configured():
        return DEFAULT_DB_ALIAS
    return database_for_region(region_of_subject(public_id))


def residency_assign(*, user: User, region: str) -> DataResidency:
    """Pin a customer's region. Rows already written stay where they are (ADR 0013)."""
    from .models import DataResidency, Region

    if region not in Region.values:
        raise PolicyError(gettext("Unknown region %(region)r.") % {"region": region})
    residency, _ = DataResidency.objects.update_or_create(user=user, defaults={"region": region})
    return residency
