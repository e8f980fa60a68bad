from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .currency import request_currency


def currency(request: HttpRequest) -> dict[str, Any]:
    """The currency of this request's prices, and the choice offered in the footer."""
    from .views import currency_choices

    return {"currency": request_currency(request), "currency_choices": currency_choices}
