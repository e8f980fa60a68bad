"""A production deployment's environment, for the tests that start the site
or its checks as a production process would."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def production_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    """The environment of a production deployment, and nothing from this one."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "DEBUG": "false",
        "SECRET_KEY": "k3y-" + "x7Q9pL2vR8sT4wZ1" * 4,
        "ALLOWED_HOSTS": "shop.roamwise.example",
        "SITE_URL": "https://shop.roamwise.example",
        "ROAMWISE_DATA_DIR": str(tmp_path / "data"),
        "HUEY_NAME": "deploy-check",
        # The real outside parties: nothing defaults to a stand-in (ADR 0018).
        "PAYMENT_GATEWAY": "stripe",
        "STRIPE_API_KEY": "sk_live_example",
        "STRIPE_WEBHOOK_SECRET": "whsec_example",
        "ES2PLUS_URL": "https://smdp.supplier.example",
        "NETWORK_PARTNER_URL": "https://api.partner.example/v1",
    }
    env.update(overrides)
    return env
