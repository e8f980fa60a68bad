from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.safestring import SafeString

from roamwise.datamap.registry import Declaration, data_map
from roamwise.datamap.vocabulary import (
    CATEGORIES,
    DEVICE_IDENTIFIER_CATEGORIES,
    LEGAL_BASES,
    LOCATIONS,
    NEVER_COLLECTED,
    PURPOSES,
    RECIPIENTS,
)
from roamwise.kernel.policies import policies_published
from roamwise.kernel.processors import Processor, processor_registry
from roamwise.kernel.residency import (
    EU_ALIAS,
    database_for_subject,
    eu_database_configured,
    is_pinned,
)

from .models import Disclosure, PartnerVetting, PolicyDocument, PolicyVersion, Region
from .rendering import heading_ids, markdown_to_html


def disclosures_of(*, subject_id: uuid.UUID) -> QuerySet[Disclosure]:
    """A subject's disclosure log, read from the database it is pinned to (RET-08)."""
    return Disclosure.objects.using(database_for_subject(subject_id)).filter(subject_id=subject_id)


# --- Policy versions (POL-01, POL-02) --------------------------------------------


def policy_upcoming(
    *, now: datetime | None = None, document: str = PolicyDocument.PRIVACY
) -> list[PolicyVersion]:
    """Published versions that have not taken effect yet, soonest first."""
    moment = now or timezone.now()
    return list(
        policies_published(document)
        .filter(published_at__lte=moment, effective_at__gt=moment)
        .order_by("effective_at", "id")
    )


def policy_versions(
    *, now: datetime | None = None, document: str = PolicyDocument.PRIVACY
) -> list[PolicyVersion]:
    """Every published version, newest first: upcoming, in force, earlier."""
    moment = now or timezone.now()
    return list(
        policies_published(document)
        .filter(published_at__lte=moment)
        .order_by("-effective_at", "-id")
    )


@dataclass(frozen=True)
class PolicyText:
    html: SafeString
    language: str  # the language of the text shown
    translated: bool  # a shipped translation of the stored text


def policy_text(*, version: PolicyVersion) -> PolicyText:
    """A version's text in the reader's language where a translation of it
    ships beside the original (``policies/terms/<version>.<locale>.md``), else
    as stored. A published text never changes, and neither do its translations;
    their headings keep the original's anchors (``#refunds``)."""
    from .services import POLICY_DIRECTORIES

    language = translation.get_language() or settings.LANGUAGE_CODE
    directory = POLICY_DIRECTORIES[PolicyDocument(version.document)]
    shipped = directory / f"{version.version}.{translation.to_locale(language)}.md"
    if language != settings.LANGUAGE_CODE and shipped.is_file():
        return PolicyText(
            markdown_to_html(shipped.read_text(encoding="utf-8"), heading_ids(version.body)),
            language,
            translated=True,
        )
    return PolicyText(markdown_to_html(version.body), settings.LANGUAGE_CODE, translated=False)


def policy_version_get(
    *, label: str, now: datetime | None = None, document: str = PolicyDocument.PRIVACY
) -> PolicyVersion | None:
    moment = now or timezone.now()
    return policies_published(document).filter(version=label, published_at__lte=moment).first()


def policy_pending_for(*, user: Any, now: datetime | None = None) -> PolicyVersion | None:
    """The significant change the customer is shown a banner about (POL-02):
    published, not yet in effect, and not accepted by them."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    moment = now or timezone.now()
    return (
        policies_published()
        .filter(significant=True, published_at__lte=moment, effective_at__gt=moment)
        .exclude(acceptances__user=user)
        .order_by("effective_at", "id")
        .first()
    )


# --- The sections rendered from the data map (POL-01) ------------------------------


@dataclass(frozen=True)
class CollectedItem:
    key: str
    record: str
    categories: tuple[str, ...]


@dataclass(frozen=True)
class PurposeItem:
    key: str
    purpose: str
    legal_bases: tuple[str, ...]
    categories: tuple[str, ...]


@dataclass(frozen=True)
class RetentionItem:
    key: str
    record: str
    retention: str
    erasure: str


@dataclass(frozen=True)
class LocationItem:
    """A record that keeps an approximate location (AUT-03), and on what terms."""

    key: str
    record: str
    purposes: tuple[str, ...]
    legal_basis: str
    retention: str
    needs_consent: bool


LOCATION_CATEGORY = "user.location.imprecise"


def location_declarations() -> list[Declaration]:
    """The records of the data map that keep an approximate location."""
    return [d for d in data_map if LOCATION_CATEGORY in d.categories]


@dataclass(frozen=True)
class RecipientItem:
    key: str
    label: str
    processor: Processor
    # Its screening and confidentiality agreement (SHR-07); None: not on record.
    vetting: PartnerVetting | None = None

    @property
    def privacy_policy_url(self) -> str:
        return self.vetting.privacy_policy_url if self.vetting else self.processor.policy_url


@dataclass(frozen=True)
class StorageItem:
    key: str
    location: str
    records: tuple[str, ...]


@dataclass(frozen=True)
class DeviceIdentifierItem:
    category: str
    records: tuple[str, ...]
    purposes: tuple[str, ...]


@dataclass(frozen=True)
class PolicySections:
    collected: tuple[CollectedItem, ...]
    purposes: tuple[PurposeItem, ...]
    retention: tuple[RetentionItem, ...]
    recipients: tuple[RecipientItem, ...]
    storage: tuple[StorageItem, ...]
    region: str
    locations: tuple[LocationItem, ...] = ()
    # Device identifiers and what is never collected (AUT-04).
    device_identifiers: tuple[DeviceIdentifierItem, ...] = ()
    never_collected: tuple[str, ...] = ()


def record_name(declaration: Declaration) -> str:
    if declaration.description:
        return str(declaration.description)
    return str(apps.get_model(declaration.model)._meta.verbose_name).capitalize()


def _anchor(declaration: Declaration) -> str:
    return declaration.model.lower().replace(".", "-")


def _erasure_text(declaration: Declaration) -> str:
    erasure = declaration.erasure
    if erasure.action == "delete":
        return "Deleted when you ask us to delete your data."
    if erasure.action == "anonymise":
        return "Anonymised when you ask us to delete your data."
    return f"Kept when you ask us to delete your data: {erasure.legal_obligation}."


def region_label(region: str) -> str:
    return str(Region(region).label)


def policy_sections() -> PolicySections:
    """What we collect, why, how long, who receives it and where it is stored:
    from the data map and the processors registry, and from nothing else."""
    declarations = list(data_map)
    collected = tuple(
        CollectedItem(
            key=_anchor(d),
            record=record_name(d),
            categories=tuple(CATEGORIES[c] for c in d.categories),
        )
        for d in declarations
    )
    purposes = []
    for code, label in PURPOSES.items():
        using = [d for d in declarations if code in d.purposes]
        if not using:
            continue
        bases = sorted({d.legal_basis for d in using}, key=list(LEGAL_BASES).index)
        categories = sorted({c for d in using for c in d.categories})
        purposes.append(
            PurposeItem(
                key=code,
                purpose=label,
                legal_bases=tuple(LEGAL_BASES[b] for b in bases),
                categories=tuple(CATEGORIES[c] for c in categories),
            )
        )
    retention = tuple(
        RetentionItem(
            key=_anchor(d),
            record=record_name(d),
            retention=d.retention.describe(),
            erasure=_erasure_text(d),
        )
        for d in declarations
    )
    registry = processor_registry()
    used = {code for d in declarations for code in d.recipients}
    vetting = {v.recipient: v for v in PartnerVetting.objects.all()}
    recipients = tuple(
        RecipientItem(
            key=code, label=RECIPIENTS[code], processor=registry[code], vetting=vetting.get(code)
        )
        for code in RECIPIENTS
        if code in used or code in registry
    )
    home = region_label(settings.DATA_REGION)
    storage = []
    for code, label in LOCATIONS.items():
        records = tuple(record_name(d) for d in declarations if d.location == code)
        if records:
            storage.append(StorageItem(key=code, location=f"{label}, in {home}", records=records))
    if eu_database_configured():
        pinned = tuple(record_name(d) for d in declarations if is_pinned(d.model.lower()))
        if pinned:
            storage.append(
                StorageItem(
                    key=EU_ALIAS,
                    location=f"EU database, in {region_label('eu')}: for customers in the EU",
                    records=pinned,
                )
            )
    locations = tuple(
        LocationItem(
            key=_anchor(d),
            record=record_name(d),
            purposes=tuple(PURPOSES[p] for p in d.purposes),
            legal_basis=LEGAL_BASES[d.legal_basis],
            retention=d.retention.describe(),
            needs_consent=d.legal_basis == "consent",
        )
        for d in location_declarations()
    )
    return PolicySections(
        collected=collected,
        purposes=tuple(purposes),
        retention=retention,
        recipients=recipients,
        storage=tuple(storage),
        region=home,
        locations=locations,
        device_identifiers=_device_identifiers(declarations),
        never_collected=tuple(label for label, _ in NEVER_COLLECTED.values()),
    )


def _device_identifiers(declarations: list[Declaration]) -> tuple[DeviceIdentifierItem, ...]:
    """Which records hold an IMEI or an EID, and what for (AUT-04)."""
    items = []
    for category in DEVICE_IDENTIFIER_CATEGORIES:
        holding = [d for d in declarations if category in d.categories]
        items.append(
            DeviceIdentifierItem(
                category=CATEGORIES[category],
                records=tuple(record_name(d) for d in holding),
                purposes=tuple(
                    PURPOSES[p] for p in sorted({p for d in holding for p in d.purposes})
                ),
            )
        )
    return tuple(items)


# --- Storage location (RET-08) ------------------------------------------------------


def storage_location_of(user: Any) -> str:
    """Where this customer's personal data is stored, in one sentence for them."""
    home = region_label(settings.DATA_REGION)
    if database_for_subject(user.public_id) != EU_ALIAS:
        return f"Your personal data is stored in {home}."
    pinned = [record_name(d).rstrip(".") for d in data_map if is_pinned(d.model.lower())]
    return (
        f"Your personal data is stored in {home}, except these records, which are kept "
        f"in {region_label('eu')}: {'; '.join(pinned)}."
    )
