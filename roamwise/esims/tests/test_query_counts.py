"""A customer's eSIMs, on the web and in the API, one eSIM with all its top-ups,
and the back office's eSIM list run a fixed number of queries however many
eSIMs, bundles and events there are (ADR 0016)."""

from __future__ import annotations

import pytest
from django.test import Client

from roamwise.accounts.models import User
from roamwise.catalog.models import Plan
from roamwise.core.tests.querycount import Queries, queries
from roamwise.esims.models import Bundle, Esim, EsimEvent, EsimState
from roamwise.esims.services.topups import topup_create
from roamwise.testing.lines import esim_on_line, iccid
from roamwise.testing.people import make_customer, staff_client
from roamwise.testing.shopping import BILLING

MANY = 5
# The signed-in customer's request: the session, the user, allauth's session
# record (read, the user again, written in a savepoint: five).
SIGNED_IN = 7
# A page adds the notification bell and the consent state (objections, choices,
# whether a choice was made), and the policy version in force (its change banner).
PAGE = SIGNED_IN + 5


def esim(customer: User, plan: Plan, number: int) -> Esim:
    """Every other one ready to install, so its sealed activation code is read."""
    made = esim_on_line(customer, plan, iccid(number))
    if number % 2:
        Esim.objects.filter(pk=made.pk).update(
            state=EsimState.READY, smdp_address="smdp.roamwise.example"
        )
    return made


def top_up(made: Esim, plan: Plan) -> None:
    """A paid top-up, on the network, with its history."""
    order = topup_create(customer=made.customer, esim=made, plan=plan, billing=BILLING)
    Bundle.objects.filter(order=order).update(state=Bundle.State.ACTIVE)
    EsimEvent.objects.create(
        esim=made, from_status=EsimState.ACTIVE, to_status=EsimState.ACTIVE, actor="network"
    )


def read(client: Client, path: str) -> Queries:
    assert client.get(path).status_code == 200  # sessions and the like settle first
    with queries() as found:
        response = client.get(path)
    assert response.status_code == 200
    return found


@pytest.fixture
def plan(catalog: None) -> Plan:
    return Plan.objects.get(destination__code="FR", data_mb=5120)


def test_esim_list_runs_a_fixed_number_of_queries(buyer: Client, alice: User, plan: Plan) -> None:
    esim(alice, plan, 1)
    one = read(buyer, "/esims/")
    for number in range(2, MANY + 1):
        esim(alice, plan, number)
    many = read(buyer, "/esims/")

    assert buyer.get("/esims/").content.decode().count('class="card"') == MANY
    # The eSIMs with their orders' plans and destinations: one query.
    assert one.counts == many.counts == {"default": PAGE + 1, "vault": 0, "cache": 0}, many


def test_esim_list_in_the_api_runs_a_fixed_number_of_queries(
    buyer: Client, alice: User, plan: Plan
) -> None:
    top_up(esim(alice, plan, 1), plan)
    one = read(buyer, "/api/v1/esims")
    for number in range(2, MANY + 1):
        top_up(esim(alice, plan, number), plan)
    many = read(buyer, "/api/v1/esims")

    listed = buyer.get("/api/v1/esims").json()
    assert len(listed) == MANY
    assert [len(e["bundles"]) for e in listed] == [2] * MANY
    assert sum(1 for e in listed if e["install"]) == 3
    # The eSIMs (with customer, order, plan, destination), their bundles with
    # plans, their events; the customer's data key, once, for the codes.
    assert one.counts == many.counts == {"default": SIGNED_IN + 3, "vault": 1, "cache": 0}, many


@pytest.mark.parametrize("path", ["/esims/{id}/", "/api/v1/esims/{id}"])
def test_one_esim_runs_a_fixed_number_of_queries(
    buyer: Client, alice: User, plan: Plan, path: str
) -> None:
    made = esim(alice, plan, 1)
    one = read(buyer, path.format(id=made.public_id))
    for _ in range(MANY):
        top_up(made, plan)
    many = read(buyer, path.format(id=made.public_id))

    assert made.bundles.count() == MANY + 1
    if path.startswith("/api/"):
        expected = {"default": SIGNED_IN + 3, "vault": 1, "cache": 0}
    else:
        # The page adds the usage per day, when a wholesaler last reported
        # usage, and the bell and consent.
        expected = {"default": PAGE + 5, "vault": 1, "cache": 0}
    assert one.counts == many.counts == expected, many


def test_back_office_esim_list_runs_a_fixed_number_of_queries(plan: Plan) -> None:
    boss, _ = staff_client(None, "boss")
    esim(make_customer("customer1"), plan, 1)
    one = read(boss, "/admin/esims/esim/")
    for number in range(2, MANY + 1):
        esim(make_customer(f"customer{number}"), plan, number)
    many = read(boss, "/admin/esims/esim/")

    # Staff: is MFA on; the list: two counts (filtered, total) and the page; the bell.
    assert one.counts == many.counts == {"default": SIGNED_IN + 6, "vault": 0, "cache": 0}, many
