"""A production deployment's environment, for the tests that start the site
or its checks as a production process would."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def production_env(tmp_path: Path, **overrides: str | None) -> dict[str, str]:
    """The environment of a production deployment, and nothing from this one;
    an override of None leaves that variable out."""
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
        # Every secret given, none made on the instance's disk (core.E003).
        "ROAMWISE_KEYRING_FILE": str(_keyring(tmp_path)),
        "SUPPORT_INBOUND_SECRET": "inbound-" + "m4Kd9" * 8,
        "ES2PLUS_TOKEN": "es2-" + "Q7w2z" * 8,
        "ES2PLUS_NOTIFICATION_SECRET": "notify-" + "p8Lx3" * 8,
        "NETWORK_PARTNER_API_KEY": "partner-" + "r5Tn6" * 8,
    }
    env.update(overrides)
    return {name: value for name, value in env.items() if value is not None}


def _keyring(tmp_path: Path) -> Path:
    """A keyring of the deployment's, as its secret store would mount it."""
    from roamwise.core.keyring import new_keyring_json

    path = tmp_path / "secrets" / "keyring.json"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(new_keyring_json())
    return path
