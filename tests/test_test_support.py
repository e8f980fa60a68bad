"""The shared test support (roamwise/testing): a test module never imports
another test module, and each factory makes a row the way the site does."""

from __future__ import annotations

import ast
from decimal import Decimal
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress

from roamwise.esims.models import Bundle, EsimState
from roamwise.orders.models import OrderStatus
from roamwise.payments.models import Payment
from roamwise.rights.models import RequestKind
from roamwise.support.models import TicketStatus
from roamwise.testing.factories import (
    CustomerFactory,
    DataRequestFactory,
    EsimFactory,
    OrderFactory,
    PaidOrderFactory,
    PaymentFactory,
    PlanFactory,
    StaffFactory,
    TicketFactory,
)
from roamwise.testing.lines import iccid

ROOT = Path(__file__).resolve().parents[1]
TEST_DIRECTORIES = ("roamwise", "tests", "e2e")


def imported_modules(source: str, module: str) -> list[str]:
    """The dotted names ``source`` (the text of ``module``) imports from,
    relative imports resolved against ``module``."""
    package = module.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
                # ``from . import test_other`` names the module in the alias.
                if not node.module:
                    found.extend(f"{base}.{alias.name}" for alias in node.names)
                    continue
            found.append(base)
    return found


def test_module_imports(source: str, module: str) -> list[str]:
    """The test modules among what ``source`` imports."""
    return [name for name in imported_modules(source, module) if _is_test_module(name)]


test_module_imports.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


def _is_test_module(dotted: str) -> bool:
    return dotted.rsplit(".", 1)[-1].startswith("test_")


def _test_files() -> list[Path]:
    return sorted(
        path
        for directory in TEST_DIRECTORIES
        for path in (ROOT / directory).rglob("test_*.py")
        if ".venv" not in path.parts
    )


def test_the_check_sees_a_test_module_imported_by_another() -> None:
    planted = (
        "from roamwise.orders.tests.test_purchase import checkout\n"
        "from .test_erasure import BILLING\n"
        "from . import test_export\n"
        "import roamwise.audit.tests.test_backoffice\n"
        "from roamwise.testing.shopping import pay\n"
        "from .conftest import committed\n"
    )
    assert test_module_imports(planted, "roamwise.rights.tests.test_queue") == [
        "roamwise.orders.tests.test_purchase",
        "roamwise.rights.tests.test_erasure",
        "roamwise.rights.tests.test_export",
        "roamwise.audit.tests.test_backoffice",
    ]


def test_no_test_module_imports_another() -> None:
    files = _test_files()
    assert len(files) > 100  # the walk found the suite
    offenders = {}
    for path in files:
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        found = test_module_imports(path.read_text(encoding="utf-8"), module)
        if found:
            offenders[module] = found
    assert not offenders, (
        "Test modules import other test modules; move what they share to "
        f"roamwise/testing (docs/testing.md): {offenders}"
    )


@pytest.mark.django_db
def test_customer_and_staff_factories_make_people_as_sign_up_does() -> None:
    customers = CustomerFactory.create_batch(2)
    assert len({customer.username for customer in customers}) == 2
    for customer in customers:
        assert EmailAddress.objects.get(user=customer, primary=True).verified
        assert customer.profile.phone
        assert not customer.is_staff
    assert not EmailAddress.objects.get(user=CustomerFactory(verified=False)).verified
    staff = StaffFactory()
    assert staff.is_staff and staff.is_superuser


@pytest.mark.django_db
def test_order_factories_go_through_the_order_service() -> None:
    plan = PlanFactory(price=Decimal("12.00"))
    order = OrderFactory(plan=plan)
    assert order.status == OrderStatus.CREATED
    # The service priced it: French VAT on the billing details' country.
    assert (order.billing_country, order.total) == ("FR", Decimal("12.00"))
    assert order.net_amount + order.tax_amount == order.total
    assert order.tax_rate == Decimal("0.20")

    paid = PaidOrderFactory(plan=plan)
    assert paid.status == OrderStatus.PAID
    assert paid.invoice.total == paid.total
    payment = Payment.objects.get(order=paid)
    assert (payment.status, payment.amount, payment.card_last4) == ("succeeded", paid.total, "4242")

    other = PaymentFactory(status=Payment.Status.FAILED)
    assert other.order.status == OrderStatus.AWAITING_PAYMENT
    assert other.amount == other.order.total


@pytest.mark.django_db
def test_esim_factory_gives_a_paid_orders_esim_in_the_state_asked() -> None:
    preparing = EsimFactory()
    assert preparing.state == EsimState.PREPARING
    assert preparing.order.status == OrderStatus.PAID
    assert preparing.customer == preparing.order.customer
    assert Bundle.objects.get(esim=preparing).state == Bundle.State.PENDING

    line = iccid(42)
    installed = EsimFactory(state=EsimState.INSTALLED, iccid=line, on_network=True)
    installed.refresh_from_db()
    assert (installed.state, installed.iccid) == (EsimState.INSTALLED, line)
    assert installed.installed_at is not None and len(installed.eid) == 32
    bundle = Bundle.objects.get(esim=installed)
    assert bundle.state == Bundle.State.ACTIVE and bundle.network_added_at is not None


@pytest.mark.django_db
def test_ticket_and_data_request_factories_go_through_their_services() -> None:
    ticket = TicketFactory()
    assert ticket.status == TicketStatus.NEW
    assert ticket.messages.count() == 1

    request = DataRequestFactory(kind=RequestKind.ACCESS)
    assert request.kind == RequestKind.ACCESS
    assert request.user is not None and request.completed_at is not None
