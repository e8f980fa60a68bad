from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import lazy

from .currency import request_currency


def currency(request: HttpRequest) -> dict[str, Any]:
    """The currency of this request's prices, and the choice offered in the
    footer; both worked out only by a page that shows them (not the back office)."""
    from .views import currency_choices

    return {
        "currency": lazy(request_currency, str)(request),
        "currency_choices": currency_choices,
    }
