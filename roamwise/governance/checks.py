"""System checks of the processors registry and the residency router (SHR-02, RET-09, RET-08)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.apps import apps
from django.core import checks

from roamwise.datamap.vocabulary import RECIPIENTS
from roamwise.kernel.processors import LOCATIONS, Processor, processor_registry


def check_processors(
    registry: Mapping[str, Processor], recipients: Iterable[str]
) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    known = set(recipients)
    for code in sorted(known - set(registry)):
        errors.append(
            checks.Error(
                f"Recipient {code!r} of the data map has no entry in the processors registry.",
                hint="Add it to roamwise/kernel/processors.py.",
                id="governance.E001",
            )
        )
    for code, entry in sorted(registry.items()):
        if code not in known or entry.code != code:
            errors.append(
                checks.Error(
                    f"Processor {code!r} is not a recipient of the data map.",
                    hint="Add it to RECIPIENTS in roamwise/datamap/vocabulary.py, or remove it.",
                    id="governance.E002",
                )
            )
        unknown = [loc for loc in entry.locations if loc not in LOCATIONS]
        if unknown or not entry.locations:
            errors.append(
                checks.Error(
                    f"Processor {code!r} has unknown or no locations: {unknown}.",
                    id="governance.E003",
                )
            )
        if entry.outside_eea and entry.safeguard is None:
            errors.append(
                checks.Error(
                    f"Processor {code!r} receives data outside the EEA "
                    f"({', '.join(entry.outside_eea)}) with no transfer safeguard (RET-09).",
                    hint="Name the adequacy decision, SCCs, BCRs or explicit consent.",
                    id="governance.E004",
                )
            )
    return errors


def check_pinned_models(labels: Iterable[str]) -> list[checks.CheckMessage]:
    """A pinned model lives apart from the rows it would point to: no foreign keys."""
    from roamwise.datamap.registry import data_map

    errors: list[checks.CheckMessage] = []
    for label in labels:
        model = apps.get_model(label)
        relations = [f.name for f in model._meta.concrete_fields if f.is_relation]
        if relations:
            errors.append(
                checks.Error(
                    f"{label} is pinned by region but has relations {relations}: its rows "
                    "could not live in another database than the rows they point to.",
                    id="governance.E005",
                )
            )
        if data_map.for_model(model) is None or not hasattr(model, "subject_id"):
            errors.append(
                checks.Error(
                    f"{label} is pinned by region but is not a data-map model keyed by subject_id.",
                    id="governance.E006",
                )
            )
    return errors


@checks.register("governance")
def governance_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    from roamwise.kernel.residency import PINNED_MODELS

    return [
        *check_processors(processor_registry(), RECIPIENTS),
        *check_pinned_models(PINNED_MODELS),
    ]
