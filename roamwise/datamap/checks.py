"""System check: nothing personal is undeclared (and no declaration is wrong).

Runs with ``manage.py check``, ``migrate`` and ``serve``; errors stop them.

A model with a declaration holds personal data, so every one of its fields
must be either declared, with its category, or stated not personal, with a
reason, in the app's ``privacy.py``: a new field stops start-up until someone
has decided which, whatever it is called. Models without a declaration are
searched for fields that refer to the user or look personal by name or type.
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
from django.urls import NoReverseMatch, reverse
from django.utils.module_loading import import_string

from .registry import SELF, Declaration, Registry, data_map
from .rules import rule_problems
from .vocabulary import (
    CATEGORIES,
    DEVICE_IDENTIFIER_CATEGORIES,
    DEVICE_IDENTIFIER_PURPOSES,
    LEGAL_BASES,
    LOCATIONS,
    NEVER_COLLECTED,
    PURPOSES,
    RECIPIENTS,
)

# A field whose name matches this looks personal until declared otherwise.
PERSONAL_NAME = re.compile(
    r"(^|_)(e?mail|phone|mobile|msisdn|name|username|address|street|city|postcode|"
    r"postal|zip|birth|dob|ip|imei|eid|iccid|body|message|passport|iban|card|"
    r"location|latitude|longitude|user_agent|parent)(_|$)"
)
PERSONAL_TYPES = (models.EmailField, models.GenericIPAddressField)

# The URLconf of the whole site, where editors are looked up even in a
# process serving one simulator alone.
SITE_URLCONF = "roamwise.urls"


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
    if not str(declaration.label).strip():
        errors.append(
            _error(
                f"{declaration.model} has no label.",
                model,
                24,
                hint='Give the declaration label=gettext_lazy("...") for the privacy center.',
            )
        )
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
    identifiers = set(declaration.categories) & set(DEVICE_IDENTIFIER_CATEGORIES)
    other_purposes = set(declaration.purposes) - set(DEVICE_IDENTIFIER_PURPOSES)
    if identifiers and other_purposes:
        errors.append(
            _error(
                f"{declaration.model}: device identifiers ({', '.join(sorted(identifiers))}) "
                f"for {', '.join(sorted(other_purposes))}.",
                model,
                24,
                hint="IMEI and EID serve compatibility and activation only (AUT-04).",
            )
        )
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
    for recipient, names in declaration.received:
        if recipient not in declaration.recipients or not set(names) <= declaration.field_names:
            errors.append(
                _error(
                    f"{declaration.model}: {recipient!r} receives fields {sorted(names)} that "
                    "are not declared, or it is not one of the recipients.",
                    model,
                    7,
                )
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
    errors.extend(_check_at_recipients(declaration, model))
    errors.extend(_check_editors(declaration, model))
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


def _check_at_recipients(
    declaration: Declaration, model: type[models.Model]
) -> list[checks.CheckMessage]:
    path = declaration.erasure.at_recipients
    if not path:
        return []
    try:
        target = import_string(path)
    except ImportError as error:
        return [
            _error(
                f"{declaration.model}: at_recipients {path!r} does not import ({error}).", model, 22
            )
        ]
    if not callable(target):
        return [_error(f"{declaration.model}: at_recipients {path!r} is not callable.", model, 22)]
    return []


def _check_editors(
    declaration: Declaration, model: type[models.Model]
) -> list[checks.CheckMessage]:
    """Each editor names a page of the site (its full URLconf, whatever this
    process serves)."""
    errors: list[checks.CheckMessage] = []
    for personal in declaration.fields:
        if not personal.editor:
            continue
        try:
            reverse(personal.editor, urlconf=SITE_URLCONF)
        except NoReverseMatch:
            errors.append(
                _error(
                    f"{declaration.model}.{personal.name}: editor {personal.editor!r} "
                    "is not a page of the site.",
                    model,
                    23,
                    hint="Name the URL of a page without arguments, e.g. 'rights:name'.",
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


def _subject_link(declaration: Declaration) -> set[str]:
    """The field a declaration's subject path starts from ("user" in
    "user", "esim" in "esim__customer"): the link the subject path already
    declares, not a further fact about the person."""
    if isinstance(declaration.subject, str) and declaration.subject != SELF:
        return {declaration.subject.split("__")[0]}
    return set()


def _is_row_number(field: models.Field) -> bool:
    # The primary key Django adds: the database's counter, the same for
    # every row whoever it is about.
    return bool(field.primary_key and field.auto_created)


def check_coverage(
    registry: Registry, models_to_check: Iterable[type[models.Model]]
) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    for model in models_to_check:
        if model._meta.abstract or model._meta.proxy:
            continue
        exempt = registry.exempt_fields(model)
        if exempt is None:
            continue
        declaration = registry.for_model(model)
        if declaration is None:
            errors.extend(_undeclared_model(model, exempt))
        else:
            errors.extend(_declared_model(model, declaration, exempt))
    return errors


def _declared_model(
    model: type[models.Model], declaration: Declaration, exempt: set[str]
) -> list[checks.CheckMessage]:
    """Every field of a declared model is declared or stated not personal."""
    errors: list[checks.CheckMessage] = []
    label = model._meta.label
    names = {f.name for f in model._meta.concrete_fields}
    covered = declaration.field_names | exempt | _subject_link(declaration)
    for field in model._meta.concrete_fields:
        if field.name in covered or _is_row_number(field):
            continue
        errors.append(
            _error(
                f"{label}.{field.name} is neither declared nor stated not personal.",
                model,
                12,
                hint="Declare it with its category in the app's privacy.py, or list it in a "
                "NotPersonal statement with the reason. Free text that can hold what anyone "
                "wrote about a person is personal.",
            )
        )
    for name in sorted(exempt - names):
        errors.append(
            _error(f"{label}.{name} is stated not personal but does not exist.", model, 14)
        )
    for name in sorted(exempt & declaration.field_names):
        errors.append(
            _error(f"{label}.{name} is both declared and stated not personal.", model, 15)
        )
    return errors


def _undeclared_model(model: type[models.Model], exempt: set[str]) -> list[checks.CheckMessage]:
    """A model outside the data map: nothing of it may refer to the user or
    look personal, unless stated not personal."""
    errors: list[checks.CheckMessage] = []
    for field in model._meta.concrete_fields:
        if points_to_user(field):
            errors.append(
                _error(
                    f"{model._meta.label} refers to the user ({field.name}) "
                    "but is not in the data map.",
                    model,
                    11,
                    hint="Declare it in the app's privacy.py.",
                )
            )
        elif not field.is_relation and looks_personal(field) and field.name not in exempt:
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


def check_never_collected(
    models_to_check: Iterable[type[models.Model]],
) -> list[checks.CheckMessage]:
    """No model has a field for what the policy says is never collected (AUT-04)."""
    errors: list[checks.CheckMessage] = []
    for model in models_to_check:
        for field in model._meta.concrete_fields:
            for what, (label, pattern) in NEVER_COLLECTED.items():
                if re.search(pattern, field.name, re.I):
                    errors.append(
                        _error(
                            f"{model._meta.label}.{field.name} looks like {what}, "
                            "which the policy says is never collected.",
                            model,
                            23,
                            hint=f"Never collected: {label}.",
                        )
                    )
    return errors


def check_sends(registry: Registry) -> list[checks.CheckMessage]:
    """Each recipient an adapter sends to gets exactly what the declarations say
    it gets: a category sent and not declared, or declared and never sent by any
    of its adapters, fails (SHR-02). Recipients without an adapter (hosting, the
    authorities under a legal request) are what the declarations say."""
    errors: list[checks.CheckMessage] = []
    for sends in registry.sends.values():
        if sends.recipient not in RECIPIENTS:
            errors.append(
                _error(f"{sends.adapter}: unknown recipient {sends.recipient!r}.", None, 17)
            )
        unknown = sorted(set(sends.categories) - set(CATEGORIES))
        if unknown:
            errors.append(_error(f"{sends.adapter}: unknown categories {unknown}.", None, 17))
    for recipient in sorted({s.recipient for s in registry.sends.values()}):
        sent = {c for s in registry.sends_to(recipient) for c in s.categories}
        declared = registry.declared_for(recipient)
        if sent - declared:
            errors.append(
                _error(
                    f"Adapters send {sorted(sent - declared)} to {recipient!r}, which no "
                    "declaration lists for it.",
                    None,
                    18,
                    hint="Add the recipient (and its fields in `received`) to the declaration "
                    "of the data sent, or stop sending it.",
                )
            )
        if declared - sent:
            errors.append(
                _error(
                    f"The data map says {recipient!r} receives {sorted(declared - sent)}, which "
                    "none of its adapters sends.",
                    None,
                    18,
                    hint="Narrow the declaration's `received` for this recipient, or declare "
                    "what the adapter sends in its app's privacy.py (`Sends`).",
                )
            )
    return errors


def check_registry(
    registry: Registry, models_to_check: Iterable[type[models.Model]]
) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    for declaration in registry:
        errors.extend(check_declaration(declaration))
    models_to_check = list(models_to_check)
    errors.extend(check_coverage(registry, models_to_check))
    errors.extend(check_never_collected(models_to_check))
    errors.extend(check_sends(registry))
    errors.extend(
        _error(f"Erasure rule cannot be carried out: {problem}.", None, 16)
        for problem in rule_problems(registry)
    )
    return errors


@checks.register("datamap")
def data_map_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    return check_registry(data_map, apps.get_models())
