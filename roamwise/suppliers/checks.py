from __future__ import annotations

from typing import Any

from django.core import checks

from roamwise.suppliers.base import Supplier
from roamwise.suppliers.registry import SUPPLIERS


def supplier_registry_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    from django.utils.module_loading import import_string

    errors: list[checks.CheckMessage] = []
    for code, path in SUPPLIERS.items():
        try:
            cls = import_string(path)
        except ImportError as exc:
            errors.append(
                checks.Error(
                    f"supplier {code}: {path} cannot be imported ({exc})", id="suppliers.E001"
                )
            )
            continue
        if not (isinstance(cls, type) and issubclass(cls, Supplier)):
            errors.append(
                checks.Error(f"supplier {code}: {path} is not a Supplier", id="suppliers.E002")
            )
        elif cls.code != code:
            errors.append(
                checks.Error(
                    f"supplier {code}: {path} says its code is {cls.code!r}", id="suppliers.E003"
                )
            )
    return errors
