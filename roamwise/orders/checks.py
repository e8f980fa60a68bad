"""System check: every order kind has a fulfiller and a revoker that import.

Runs with ``manage.py check``, ``migrate`` and ``serve``; errors stop them,
so that a paid order never meets a kind nothing can deliver.
"""

from __future__ import annotations

from typing import Any

from django.core import checks
from django.utils.module_loading import import_string

from .models import Order


def check_handlers(name: str, handlers: dict[str, str]) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    for kind in Order.Kind.values:
        if kind not in handlers:
            errors.append(
                checks.Error(
                    f"Orders of kind {kind!r} have no entry in {name}.",
                    hint="Add the dotted path of its function in roamwise/orders/tasks.py.",
                    id="orders.E001",
                )
            )
    for key, path in sorted(handlers.items()):
        kind = str(key)
        if kind not in Order.Kind.values:
            errors.append(
                checks.Error(
                    f"{name} names {kind!r}, which is not an order kind.", id="orders.E002"
                )
            )
        try:
            handler = import_string(path)
        except ImportError as error:
            errors.append(
                checks.Error(
                    f"{name}[{kind!r}] = {path!r} does not import: {error}", id="orders.E003"
                )
            )
            continue
        if not callable(handler):
            errors.append(
                checks.Error(f"{name}[{kind!r}] = {path!r} is not callable.", id="orders.E003")
            )
    return errors


@checks.register()
def order_handlers_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    from . import tasks

    return [
        *check_handlers("FULFILLERS", tasks.FULFILLERS),
        *check_handlers("REVOKERS", tasks.REVOKERS),
    ]
