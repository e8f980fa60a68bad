from __future__ import annotations

from django.conf import settings

from .base import PaymentGateway


def get_gateway(name: str | None = None) -> PaymentGateway:
    name = name or settings.PAYMENT_GATEWAY
    if name == "simulated":
        from .simulated import SimulatedGateway

        return SimulatedGateway()
    if name == "stripe":
        from .stripe import StripeGateway

        return StripeGateway()
    raise LookupError(f"no payment gateway called {name!r}")
