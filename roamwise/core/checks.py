"""Deployment checks of the stand-ins, the outside parties' addresses (ADR 0018)
and the secrets a production site must be given."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

from .stand_ins import STAND_INS


def _production() -> bool:
    return not settings.DEBUG and settings.SITE_URL.startswith("https://")


@checks.register(checks.Tags.security, deploy=True)
def check_no_stand_ins_in_production(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    """A stand-in answers anyone, as the outside party it plays: never on a real site."""
    if not (settings.SIMULATORS and _production()):
        return []
    parties = ", ".join(STAND_INS[name].party for name in settings.SIMULATORS)
    return [
        checks.Error(
            f"SIMULATORS runs stand-ins ({parties}) on a production site.",
            hint="Unset SIMULATORS and give the real parties' addresses "
            "(GATEWAY_URL or Stripe, ES2PLUS_URL, NETWORK_PARTNER_URL).",
            id="core.E001",
        )
    ]


@checks.register(checks.Tags.security, deploy=True)
def check_outside_parties_configured(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    """No outbound address defaults to anything: a deployment names each one."""
    required = {
        "ES2PLUS_URL": settings.ES2PLUS_URL,
        "NETWORK_PARTNER_URL": settings.NETWORK_PARTNER_URL,
    }
    if settings.PAYMENT_GATEWAY == "simulated":
        required["GATEWAY_URL"] = settings.GATEWAY_URL
    return [
        checks.Error(
            f"{name} is not set: the shop cannot reach this outside party.",
            hint="Give its address, or name its stand-in in SIMULATORS for a demo.",
            id="core.E002",
        )
        for name, value in required.items()
        if not value
    ]


@checks.register(checks.Tags.security)
def check_secrets_given_in_production(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    """A production site takes its secrets from the environment, not from its
    own disk: each instance would otherwise make its own, and sessions, signed
    links and customers' data keys would differ from one instance to the next.
    Not only a deployment check: ``serve`` refuses to start."""
    if not _production():
        return []
    return [
        checks.Error(
            f"{name} was generated on this machine's disk: another instance would make "
            "another one.",
            hint=f"Give it in the environment, or as a file through {name}_FILE "
            "(ROAMWISE_KEYRING_FILE names the keyring's file).",
            id="core.E003",
        )
        for name in settings.GENERATED_SECRETS
    ]
