"""The site's side of the replica test, run in a process of its own.

    python -m roamwise.core.tests.replica_child

Its environment names the loopback primary (``DATABASE_URL``) and its
streaming replica (``DATABASE_REPLICA_URL``) that test_replica_postgres.py
set up. It migrates the primary, writes a plan and a customer, and prints
them as a JSON line; then it waits for a line on its input (the test pauses
the replica's replay meanwhile), writes a second plan and the customer's
order for it, asks for pages as a visitor and as the customer through the
whole middleware stack, counting the queries each database answered, and
prints what it saw as a second JSON line. One process: Django starts once.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "roamwise.settings")
    import django

    django.setup()


def prepare() -> dict[str, Any]:
    from django.core.management import call_command

    from roamwise.testing.factories import PlanFactory
    from roamwise.testing.people import make_customer

    call_command("migrate", verbosity=0)
    call_command("migrate", database="vault", verbosity=0)
    call_command("createcachetable", verbosity=0)
    plan = PlanFactory(name="Plan on both servers")
    make_customer("alice")
    return {"plan": str(plan.public_id), "destination": plan.destination.slug}


def _visit(client: Any, path: str) -> dict[str, Any]:
    from django.db import connections
    from django.test.utils import CaptureQueriesContext

    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections["replica"]) as replica,
    ):
        response = client.get(path)
    return {
        "status": response.status_code,
        "body": response.content.decode(),
        "primary_plan_queries": sum('"catalog_plan"' in q["sql"] for q in primary),
        "replica_plan_queries": sum('"catalog_plan"' in q["sql"] for q in replica),
        "replica_queries": len(replica),
    }


def visit(plan_id: str, destination: str) -> dict[str, Any]:
    from django.test import Client

    from roamwise.accounts.models import User
    from roamwise.catalog.models import Destination, Plan
    from roamwise.testing.factories import PlanFactory
    from roamwise.testing.shopping import paid_order

    # Written now, on the primary, while the replica replays nothing.
    alice = User.objects.get(username="alice")
    new_plan = PlanFactory(
        destination=Destination.objects.get(slug=destination), name="Plan written in the pause"
    )
    order = paid_order(alice, new_plan)
    old_plan = Plan.objects.get(public_id=plan_id)
    written_to = {"plan": new_plan._state.db, "order": order._state.db}

    visitor = Client()
    customer = Client()
    customer.force_login(alice)
    return {
        "written_to": written_to,
        "new_plan": str(new_plan.public_id),
        "order": str(order.public_id),
        "visitor_old_plan": _visit(visitor, f"/plans/{old_plan.public_id}/"),
        "visitor_new_plan": _visit(visitor, f"/plans/{new_plan.public_id}/"),
        "customer_orders": _visit(customer, "/orders/"),
        "customer_order": _visit(customer, f"/orders/{order.public_id}/"),
        "customer_new_plan": _visit(customer, f"/plans/{new_plan.public_id}/"),
    }


def main() -> None:
    _setup()
    prepared = prepare()
    print(json.dumps(prepared), flush=True)
    if sys.stdin.readline().strip() != "paused":
        raise SystemExit("the replica was not paused")
    print(json.dumps(visit(prepared["plan"], prepared["destination"])), flush=True)


if __name__ == "__main__":
    main()
