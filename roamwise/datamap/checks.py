"""System check: nothing personal is undeclared (and no declaration is wrong).

Runs with ``manage.py check``, ``migrate`` and ``serve``; errors stop them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core import checks
from django.core.exceptions import FieldDoesNotExist
from django.db import models

from .registry import SELF, Declaration, Registry, data_map
from .vocabulary import CATEGORIES, LEGAL_BASES, LOCATIONS, PURPOSES, RECIPIENTS

# A field whose name matches this looks personal until declared otherwise.
PERSONAL_NAME = re.compile(
    r"(^|_)(e?mail|phone|mobile|msisdn|name|username|address|street|city|postcode|"
    r"postal|zip|birth|dob|ip|imei|eid|iccid|body|message|passport|iban|card|"
    r"location|latitude|longitude|user_agent|parent)(_|$)"
)
PERSONAL_TYPES = (models.EmailField, models.GenericIPAddressField)


def looks_personal(field: models.Field) -> bool:
    return isinstance(field, PERSONAL_TYPES) or bool(PERSONAL_NAME.search(field.name))


def points_to_user(field: models.Field) -> bool:
    return field.is_relation and field.related_model is apps.get_model(settings.AUTH_USER_MODEL)


def _error(msg: str, obj: Any, code: int, hint: str | None = None) -> checks.Error:
    return checks.Error(msg, obj=obj, id=f"datamap.E{code:03d}", hint=hint)


def check_declaration(declaration: Declaration) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    try:
        model = apps.get_model(declaration.model)
    except (LookupError, ValueError):
        return [_error(f"Declared model {declaration.model!r} does not exist.", None, 1)]
    for personal in declaration.fields:
        try:
            model._meta.get_field(personal.name)
        except FieldDoesNotExist:
            errors.append(_error(f"{declaration.model}.{personal.name} does not exist.", model, 2))
        if personal.category not in CATEGORIES:
            errors.append(
                _error(
                    f"{declaration.model}.{personal.name}: unknown category {personal.category!r}.",
                    model,
                    3,
                    hint="Use a category from roamwise/datamap/vocabulary.py.",
                )
            )
    if isinstance(declaration.subject, str) and declaration.subject != SELF:
        errors.extend(_check_subject_path(model, declaration.subject))
    for purpose in declaration.purposes:
        if purpose not in PURPOSES:
            errors.append(_error(f"{declaration.model}: unknown purpose {purpose!r}.", model, 5))
    if not declaration.purposes:
        errors.append(_error(f"{declaration.model}: at least one purpose is needed.", model, 5))
    if declaration.legal_basis not in LEGAL_BASES:
        errors.append(
            _error(
                f"{declaration.model}: unknown legal basis {declaration.legal_basis!r}.", model, 6
            )
        )
    for recipient in declaration.recipients:
        if recipient not in RECIPIENTS:
            errors.append(
                _error(f"{declaration.model}: unknown recipient {recipient!r}.", model, 7)
            )
    if declaration.location not in LOCATIONS:
        errors.append(
            _error(f"{declaration.model}: unknown location {declaration.location!r}.", model, 8)
        )
    retention = declaration.retention
    if retention.period is not None:
        anchor = _field_at(model, retention.anchor)
        if not isinstance(anchor, models.DateTimeField | models.DateField):
            errors.append(
                _error(
                    f"{declaration.model}: retention anchor {retention.anchor!r} "
                    "is not a date field.",
                    model,
                    9,
                )
            )
    if retention.action == "keep" and not retention.legal_obligation:
        errors.append(_error(f"{declaration.model}: 'keep' needs a legal obligation.", model, 10))
    if declaration.erasure.action == "retain" and not declaration.erasure.legal_obligation:
        errors.append(_error(f"{declaration.model}: 'retain' needs a legal obligation.", model, 10))
    if declaration.key_field:
        try:
            key_field = model._meta.get_field(declaration.key_field)
        except FieldDoesNotExist:
            key_field = None
        if not isinstance(key_field, models.UUIDField):
            errors.append(_error(f"{declaration.model}: key_field is not a UUID field.", model, 21))
    for name in sorted({*declaration.erasure.keep, *declaration.erasure.strip}):
        if name not in declaration.field_names:
            errors.append(
                _error(
                    f"{declaration.model}: erasure names {name!r}, which is not a declared field.",
                    model,
                    20,
                )
            )
    return errors


def _field_at(model: type[models.Model], path: str) -> Any:
    """The field a lookup path such as "ticket__updated_at" ends at, or None."""
    current: type[models.Model] | None = model
    field: Any = None
    for part in path.split("__"):
        if current is None:
            return None
        try:
            field = current._meta.get_field(part)
        except FieldDoesNotExist:
            return None
        current = field.related_model if field.is_relation else None
    return field


def _check_subject_path(model: type[models.Model], path: str) -> list[checks.CheckMessage]:
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    current: type[models.Model] = model
    for part in path.split("__"):
        try:
            field = current._meta.get_field(part)
        except FieldDoesNotExist:
            return [
                _error(
                    f"{model._meta.label}: subject path {path!r} is broken at {part!r}.", model, 4
                )
            ]
        if not field.is_relation or field.related_model is None:
            return [
                _error(f"{model._meta.label}: subject path {path!r} is not a relation.", model, 4)
            ]
        current = field.related_model
    if current is not user_model:
        return [
            _error(f"{model._meta.label}: subject path {path!r} does not reach the user.", model, 4)
        ]
    return []


def check_coverage(
    registry: Registry, models_to_check: Iterable[type[models.Model]]
) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    for model in models_to_check:
        if model._meta.abstract or model._meta.proxy:
            continue
        declaration = registry.for_model(model)
        exempt = registry.exempt_fields(model)
        if exempt is None:
            continue
        declared = declaration.field_names if declaration else set()
        for field in model._meta.concrete_fields:
            if points_to_user(field) and declaration is None:
                errors.append(
                    _error(
                        f"{model._meta.label} refers to the user ({field.name}) "
                        "but is not in the data map.",
                        model,
                        11,
                        hint="Declare it in the app's privacy.py.",
                    )
                )
            elif (
                not field.is_relation
                and looks_personal(field)
                and field.name not in declared
                and field.name not in exempt
            ):
                errors.append(
                    _error(
                        f"{model._meta.label}.{field.name} looks personal but is not declared.",
                        model,
                        12,
                        hint="Declare it in the app's privacy.py, "
                        "or state it is not personal with a reason.",
                    )
                )
    return errors


def check_registry(
    registry: Registry, models_to_check: Iterable[type[models.Model]]
) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    for declaration in registry:
        errors.extend(check_declaration(declaration))
    errors.extend(check_coverage(registry, models_to_check))
    return errors


@checks.register("datamap")
def data_map_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    return check_registry(data_map, apps.get_models())
