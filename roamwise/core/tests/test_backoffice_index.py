"""The back office's index is grouped by task, with the pages that are not models."""

from __future__ import annotations

from django.test import Client

from roamwise.audit import roles
from roamwise.core.backoffice import task_of
from roamwise.testing.people import staff_client


def groups_of(client: Client) -> dict[str, list[str]]:
    response = client.get("/admin/")
    assert response.status_code == 200
    return {
        str(app["name"]): [str(model["name"]) for model in app["models"]]
        for app in response.context["app_list"]
    }


def test_the_index_is_grouped_by_task_in_order(db: None) -> None:
    client, _ = staff_client(None, "root")

    groups = groups_of(client)

    assert list(groups) == [
        "Sell",
        "Customers",
        "eSIMs",
        "Support",
        "Privacy",
        "Reports",
        "Settings",
    ]
    assert {"Orders", "Invoices", "Refunds", "Plans", "Payments"} <= set(groups["Sell"])
    assert "Users" in groups["Customers"]
    assert {"ESIMs", "Ingest batches"} <= set(groups["eSIMs"])  # Django capitalises
    assert "Tickets" in groups["Support"]
    assert {"Access events", "Records of processing"} <= set(groups["Privacy"])
    assert "Analytics dashboard" in groups["Reports"]
    assert "Groups" in groups["Settings"]
    page = client.get("/admin/").content.decode()
    assert 'href="/admin/analytics/"' in page
    assert "Ingest batchs" not in page


def test_a_role_sees_only_its_tasks_and_pages(db: None) -> None:
    roles.ensure_roles()
    client, _ = staff_client(roles.BILLING, "bill")

    groups = groups_of(client)

    # The reports are the bookkeeper's; the analytics dashboard is not.
    assert groups["Reports"] == ["Reports"]
    assert "Stock and suppliers at a glance" in groups["eSIMs"]
    assert "Orders" in groups["Sell"]
    assert all("Records of processing" not in names for names in groups.values())


def test_a_model_of_a_new_app_falls_back_to_settings() -> None:
    assert task_of("orders.order") == "sell"
    assert task_of("notifications.outboundemail") == "support"
    assert task_of("newapp.thing") == "settings"


def test_one_apps_page_stays_djangos(db: None) -> None:
    client, _ = staff_client(None, "root2")
    response = client.get("/admin/orders/")
    assert response.status_code == 200
    assert [app["app_label"] for app in response.context["app_list"]] == ["orders"]
