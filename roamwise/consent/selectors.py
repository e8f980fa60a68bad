"""Reading consent: the current state is the latest record per purpose.

``has_consent`` is the one question every feature asks before optional
processing. Essential processing is always allowed; anything else needs a
grant that is the subject's latest word on that purpose, and no objection or
restriction in force (RGT-06).
"""

from __future__ import annotations

from typing import Any

from roamwise.kernel.policies import policy_version_label

from .models import (
    OBJECTION_COVERS,
    OPTIONAL_PURPOSES,
    ConsentRecord,
    Objection,
    ObjectionRecord,
    Purpose,
    Source,
)


def current_policy_version() -> str:
    """The privacy policy version in force: from the published versions
    (POL-01), the PRIVACY_POLICY_VERSION setting until one is published."""
    return policy_version_label()


def _customer(user: Any) -> Any:
    """The user if signed in, else None (AnonymousUser counts as nobody)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user


def _latest(records: Any) -> dict[str, bool]:
    state: dict[str, bool] = {}
    for purpose, granted in records.order_by("-created_at", "-id").values_list(
        "purpose", "granted"
    ):
        state.setdefault(purpose, granted)
    return state


def _latest_for(records: Any) -> bool | None:
    return records.order_by("-created_at", "-id").values_list("granted", flat=True).first()


def objections_of(*, user: Any) -> dict[str, bool]:
    """Each objection scope and whether it is in force."""
    state = {scope.value: False for scope in Objection}
    customer = _customer(user)
    if customer is None:
        return state
    seen: set[str] = set()
    for scope, active in (
        ObjectionRecord.objects.filter(user=customer)
        .order_by("-created_at", "-id")
        .values_list("scope", "active")
    ):
        if scope not in seen:
            seen.add(scope)
            state[scope] = active
    return state


def blocked_purposes(*, user: Any) -> set[str]:
    """Purposes the customer objected to or restricted: off whatever consent says."""
    blocked: set[str] = set()
    for scope, active in objections_of(user=user).items():
        if active:
            blocked.update(OBJECTION_COVERS[scope])
    return blocked


def consent_choices(*, user: Any = None, visitor_id: str | None = None) -> dict[str, bool | None]:
    """The latest choice for each optional purpose; None where none was made.

    A customer's own records come first; for a purpose they never chose, a
    choice made in the same browser before signing in (the visitor id) applies.
    """
    customer = _customer(user)
    choices: dict[str, bool | None] = dict.fromkeys(OPTIONAL_PURPOSES)
    if customer is not None:
        for purpose, granted in _latest(ConsentRecord.objects.filter(user=customer)).items():
            choices[purpose] = granted
    if visitor_id and any(value is None for value in choices.values()):
        for purpose, granted in _latest(
            ConsentRecord.objects.filter(visitor_id=visitor_id, user__isnull=True)
        ).items():
            if choices.get(purpose, False) is None:
                choices[purpose] = granted
    return choices


def consent_state(*, user: Any = None, visitor_id: str | None = None) -> dict[str, bool]:
    """Whether each purpose may be used now: choices, objections and restriction applied."""
    blocked = blocked_purposes(user=user)
    choices = consent_choices(user=user, visitor_id=visitor_id)
    state = {
        purpose: bool(granted) and purpose not in blocked for purpose, granted in choices.items()
    }
    state[Purpose.ESSENTIAL.value] = True
    return state


def has_consent(*, purpose: str, user: Any = None, visitor_id: str | None = None) -> bool:
    """May data be processed for ``purpose`` for this customer or visitor now?

    Essential: always. Otherwise only with a grant as the latest record, and
    no objection or restriction covering the purpose. No record: no.
    """
    if purpose == Purpose.ESSENTIAL:
        return True
    if purpose not in OPTIONAL_PURPOSES:
        raise ValueError(f"unknown purpose {purpose!r}")
    customer = _customer(user)
    if customer is None and not visitor_id:
        return False
    if purpose in blocked_purposes(user=customer):
        return False
    latest: bool | None = None
    if customer is not None:
        latest = _latest_for(ConsentRecord.objects.filter(user=customer, purpose=purpose))
    if latest is None and visitor_id:
        latest = _latest_for(
            ConsentRecord.objects.filter(visitor_id=visitor_id, user__isnull=True, purpose=purpose)
        )
    return bool(latest)


def has_chosen(*, user: Any = None, visitor_id: str | None = None) -> bool:
    """Has this customer or visitor made any consent choice (the banner is then not shown)?"""
    # A GPC signal alone is not a choice: the banner still asks about the rest.
    records = ConsentRecord.objects.exclude(source=Source.GPC)
    customer = _customer(user)
    if customer is not None and records.filter(user=customer).exists():
        return True
    return bool(visitor_id) and records.filter(visitor_id=visitor_id).exists()


def consent_history(*, user: Any) -> list[ConsentRecord]:
    customer = _customer(user)
    if customer is None:
        return []
    return list(ConsentRecord.objects.filter(user=customer).order_by("-created_at", "-id")[:200])


def latest_records(*, user: Any = None, visitor_id: str | None = None) -> dict[str, ConsentRecord]:
    """The subject's latest record per purpose (their own records only)."""
    customer = _customer(user)
    if customer is not None:
        records = ConsentRecord.objects.filter(user=customer)
    elif visitor_id:
        records = ConsentRecord.objects.filter(visitor_id=visitor_id, user__isnull=True)
    else:
        return {}
    latest: dict[str, ConsentRecord] = {}
    for record in records.order_by("-created_at", "-id"):
        latest.setdefault(record.purpose, record)
    return latest
