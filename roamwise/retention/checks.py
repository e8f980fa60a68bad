"""System check: every retention rule of the data map can be applied.

A sweeper must be importable; an anonymise rule must name declared fields
that can be blanked (null, or empty text). Without this the first nightly
run would find out instead.
"""

from __future__ import annotations

from typing import Any

from django.core import checks
from django.core.exceptions import FieldDoesNotExist
from django.utils.module_loading import import_string

from roamwise.datamap.registry import Declaration, Registry, data_map

from .sweeps import NotBlankable, blank_value


def _error(msg: str, code: int) -> checks.Error:
    return checks.Error(msg, id=f"retention.E{code:03d}")


def check_declaration(declaration: Declaration) -> list[checks.CheckMessage]:
    retention = declaration.retention
    errors: list[checks.CheckMessage] = []
    if retention.sweeper:
        try:
            sweeper = import_string(retention.sweeper)
        except ImportError:
            sweeper = None
        if not callable(sweeper):
            errors.append(
                _error(f"{declaration.model}: sweeper {retention.sweeper!r} cannot be imported.", 1)
            )
    if retention.action == "anonymise" and not retention.sweeper:
        names = retention.anonymise_fields or tuple(f.name for f in declaration.fields)
        model = declaration.model_class
        for name in names:
            if name not in declaration.field_names:
                errors.append(
                    _error(f"{declaration.model}: anonymises {name!r}, which is not declared.", 2)
                )
                continue
            try:
                blank_value(model._meta.get_field(name))
            except (FieldDoesNotExist, NotBlankable):
                errors.append(
                    _error(
                        f"{declaration.model}.{name} can be neither null nor blank text: "
                        "it cannot be anonymised.",
                        3,
                    )
                )
    return errors


def check_registry(registry: Registry) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    for declaration in registry:
        errors.extend(check_declaration(declaration))
    return errors


@checks.register()
def retention_rules_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    return check_registry(data_map)
