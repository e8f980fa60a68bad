"""Calls from an app up to one above it, declared in one place per app.

An app imports only the apps below it (docs/architecture.md, ADR 0021). Where
one of its pages or jobs needs a function of an app above (orders' checkout
starts a payment, the retention sweep erases an account), the app names that
function in its ``hooks.py``, in a dict ``UPWARD`` of dotted paths, with a
typed wrapper that calls ``call_up``. The path is resolved when it is called;
the start-up check below proves that every declared path imports and can be
called, so a renamed function stops ``manage.py check``, not a customer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any

from django.apps import apps
from django.core import checks
from django.utils.module_loading import import_string


def call_up(hooks: Mapping[str, str], name: str) -> Callable[..., Any]:
    """The function ``hooks`` names ``name``."""
    function: Callable[..., Any] = import_string(hooks[name])
    return function


def declared_hooks() -> dict[str, Mapping[str, str]]:
    """Every app's ``UPWARD`` declarations, by the app's module path."""
    found: dict[str, Mapping[str, str]] = {}
    for config in apps.get_app_configs():
        try:
            module = import_module(f"{config.name}.hooks")
        except ModuleNotFoundError as error:
            if error.name != f"{config.name}.hooks":
                raise
            continue
        found[module.__name__] = module.UPWARD
    return found


@checks.register()
def hooks_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    for module, hooks in sorted(declared_hooks().items()):
        for name, path in sorted(hooks.items()):
            try:
                function = import_string(path)
            except ImportError as error:
                problem = f"does not import: {error}"
            else:
                if callable(function):
                    continue
                problem = "is not callable"
            errors.append(
                checks.Error(
                    f"{module}.UPWARD[{name!r}] = {path!r} {problem}.",
                    hint="Point it at the function of the app above, or remove the hook.",
                    id="core.E010",
                )
            )
    return errors
