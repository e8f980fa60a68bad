"""SHR-01: no code path sends personal data to a recipient not in the registry.

The code is read, not trusted: every import of a network library or of the
shared HTTP client must sit in an adapter that names a registered recipient,
and every disclosure names a registered recipient.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import roamwise
from roamwise.governance import outbound
from roamwise.governance.models import Disclosure
from roamwise.kernel.disclosures import disclosure_record
from roamwise.kernel.processors import processor_registry

PACKAGE = Path(roamwise.__file__).resolve().parent


def scan_problems(root: Path = PACKAGE, **kwargs: object) -> list[str]:
    if root != PACKAGE:
        # A planted package has none of the real scrubbed senders.
        kwargs.setdefault("scrubbed", {})
    uses, recipients = outbound.scan(root)
    return outbound.violations(uses, recipients, registered=processor_registry(), **kwargs)  # type: ignore[arg-type]


@pytest.mark.commitment("SHR-01")
def test_every_outbound_path_goes_through_an_adapter_to_a_registered_recipient() -> None:
    uses, recipients = outbound.scan(PACKAGE)

    assert scan_problems() == []
    # The scan does see the real paths out (it is not vacuous).
    senders = {use.module for use in uses}
    assert {
        "roamwise.core.http",
        "roamwise.esims.es2plus",
        "roamwise.esims.partner",
        "roamwise.notifications.services",
        "roamwise.payments.gateways.stripe",
        "roamwise.payments.gateways.simulated",
    } <= senders
    assert {r.recipient for r in recipients} == {
        "payment",
        "smdp",
        "network",
        "authority",
        None,  # the wholesalers' shared client: the calling adapter's recipient
    }
    assert {r.module for r in recipients if r.recipient is None} == set(outbound.SHARED_CLIENTS)
    for module, recipient in outbound.ADAPTERS.items():
        if module != outbound.TRANSPORT:
            assert recipient in processor_registry(), module


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "roamwise"
    for name, source in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
    return root


@pytest.mark.commitment("SHR-01")
@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("import requests\nrequests.post('https://broker.example', json={})\n", "requests"),
        ("from urllib.request import urlopen\n", "urllib.request"),
        ("import smtplib\n", "smtplib"),
        (
            "from django.core import mail\nmail.send_mail('s', 'b', 'f', ['x'])\n",
            "django.core.mail",
        ),
        ("from roamwise.core.http import send\n", "roamwise.core.http"),
        ("from ..core import http\n", "roamwise.core.http"),
        ("import importlib\nimportlib.import_module('httpx')\n", "httpx"),
        ("socket = __import__('socket')\n", "socket"),
        ("import sentry_sdk\nsentry_sdk.capture_message('x')\n", "sentry_sdk"),
    ],
)
def test_a_new_unregistered_call_out_is_caught(tmp_path: Path, source: str, target: str) -> None:
    root = _package(tmp_path, {"__init__.py": "", "ads/__init__.py": "", "ads/broker.py": source})

    problems = scan_problems(root, adapters={}, stand_ins={})

    assert len(problems) == 1
    assert problems[0].startswith("roamwise.ads.broker:")
    assert f"through {target}" in problems[0]


@pytest.mark.commitment("SHR-01")
def test_harmless_imports_are_not_flagged(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "__init__.py": "",
            "core/__init__.py": "",
            "core/delivery.py": (
                "from .http import TransportError\nfrom urllib.parse import quote\n"
            ),
            "core/tests/test_x.py": "import requests\n",
        },
    )

    assert scan_problems(root, adapters={}, stand_ins={}) == []


@pytest.mark.commitment("SHR-01")
def test_an_adapter_naming_an_unregistered_recipient_or_a_stale_entry_is_caught(
    tmp_path: Path,
) -> None:
    root = _package(tmp_path, {"__init__.py": "", "ads/broker.py": "import requests\n"})

    problems = scan_problems(
        root, adapters={"roamwise.ads.broker": "data_broker", "roamwise.old": "email"}, stand_ins={}
    )

    assert problems == [
        "adapter roamwise.ads.broker sends to 'data_broker', which is not registered",
        "roamwise.old is listed as sending data out but no longer does",
    ]


@pytest.mark.commitment("SHR-01")
def test_a_disclosure_to_an_unregistered_recipient_is_caught_statically(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "__init__.py": "",
            "shop/services.py": (
                "from roamwise.kernel.disclosures import disclosure_record\n"
                "def _send(order, recipient):\n"
                "    disclosure_record(subject_id=order.id, recipient=recipient,\n"
                "                      categories=(), purpose='billing')\n"
                "def pay(order):\n"
                "    _send(order, 'payment')\n"
                "def sell(order):\n"
                "    _send(order, recipient='data_broker')\n"
                "def leak(order, who):\n"
                "    disclosure_record(subject_id=order.id, recipient=who.name,\n"
                "                      categories=(), purpose='billing')\n"
            ),
        },
    )

    assert scan_problems(root, adapters={}, stand_ins={}) == [
        "roamwise.shop.services:8 discloses to 'data_broker', which is not registered",
        "roamwise.shop.services:10 discloses to a recipient the scan cannot read",
    ]


@pytest.mark.commitment("SHR-01")
def test_a_disclosure_to_an_unregistered_recipient_is_refused_at_run_time(alice: object) -> None:
    with pytest.raises(ValueError, match="processors registry"):
        disclosure_record(
            subject_id=alice.public_id,  # type: ignore[attr-defined]
            recipient="data_broker",
            categories=("user.contact.email",),
            purpose="marketing",
        )
    assert Disclosure.objects.count() == 0


@pytest.mark.commitment("SHR-01")
def test_a_shared_client_discloses_only_for_registered_adapters(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "__init__.py": "",
            "vendors/http.py": (
                "from roamwise.kernel.disclosures import disclosure_record\n"
                "class Client:\n"
                "    def send(self, subject):\n"
                "        disclosure_record(subject_id=subject, recipient=self.code,\n"
                "                          categories=(), purpose='service')\n"
            ),
        },
    )
    shared = {"roamwise.vendors.http": ("roamwise.vendors.broker",)}

    problems = scan_problems(
        root,
        adapters={"roamwise.vendors.broker": "data_broker"},
        stand_ins={},
        shared_clients=shared,
    )
    assert (
        "roamwise.vendors.http discloses for roamwise.vendors.broker, which is not a registered "
        "adapter"
    ) in problems
    # Not declared as a shared client, its recipient is one the scan cannot read.
    assert scan_problems(root, adapters={}, stand_ins={}, shared_clients={}) == [
        "roamwise.vendors.http:4 discloses to a recipient the scan cannot read"
    ]
