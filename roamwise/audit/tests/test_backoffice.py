"""The back office asks for a reason, writes the audit row, and shows each role
only what it needs (SEC-03, SEC-04)."""

from __future__ import annotations

import pytest
from django.test import Client

from roamwise.accounts.models import User
from roamwise.audit import roles
from roamwise.audit.models import AccessEvent
from roamwise.testing.people import make_customer, staff_client


def open_record(
    client: Client, user: User, reason: str = "Ticket 42: phone support", contact: bool = False
) -> str:
    url = f"/admin/accounts/user/{user.pk}/change/"
    data = {"_audit_reason": reason}
    if contact:
        data["_audit_contact"] = "1"
    client.post(url, data)
    return client.get(url).content.decode()


@pytest.fixture
def customer(db: None) -> User:
    roles.ensure_roles()
    return make_customer("carol")


@pytest.mark.commitment("SEC-04")
def test_opening_a_customer_record_needs_a_reason_and_is_logged(customer: User) -> None:
    client, member = staff_client(roles.PRIVACY_OFFICER, "paula")
    url = f"/admin/accounts/user/{customer.pk}/change/"

    asked = client.get(url)
    assert "Why are you opening this record?" in asked.content.decode()
    assert "carol@example.com" not in asked.content.decode()
    assert AccessEvent.objects.count() == 0
    refused = client.post(url, {"_audit_reason": " "})
    assert refused.status_code == 400
    assert AccessEvent.objects.count() == 0

    page = open_record(client, customer)

    assert "carol@example.com" in page
    event = AccessEvent.objects.get()
    assert event.actor_id == member.pk
    assert event.actor_role == "Privacy officer"
    assert event.subject_id == customer.public_id
    assert event.action == "view"
    assert event.reason == "Ticket 42: phone support"
    assert "email" in event.fields and "profile.phone" in event.fields
    assert event.request_id


@pytest.mark.commitment("SEC-04")
def test_changes_are_logged_with_the_changed_fields(customer: User) -> None:
    client, _ = staff_client(roles.PRIVACY_OFFICER, "paula")
    open_record(client, customer)
    form = client.get(f"/admin/accounts/user/{customer.pk}/change/").context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "password"}
    data.update(
        {
            "username": "carol",
            "first_name": "Carol",
            "last_name": "",
            "email": "carol@example.com",
            "is_active": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "10:00:00",
            "profile-TOTAL_FORMS": "1",
            "profile-INITIAL_FORMS": "1",
            "profile-MIN_NUM_FORMS": "0",
            "profile-MAX_NUM_FORMS": "1",
            "profile-0-id": str(customer.profile.pk),
            "profile-0-user": str(customer.pk),
            "profile-0-phone": "+447911123456",
            "profile-0-date_of_birth": "1990-05-17",
        }
    )
    data.pop("groups", None)
    data.pop("user_permissions", None)

    response = client.post(f"/admin/accounts/user/{customer.pk}/change/", data)

    assert response.status_code == 302, response.content.decode()[:2000]
    change = AccessEvent.objects.get(action="change")
    assert change.fields == ["first_name"]
    assert change.reason == "Ticket 42: phone support"


@pytest.mark.commitment("SEC-03")
def test_support_agents_see_contact_details_masked_unless_they_ask(customer: User) -> None:
    client, _ = staff_client(roles.SUPPORT_AGENT, "sam")

    listing = client.get("/admin/accounts/user/").content.decode()
    assert "c•••@example.com" in listing and "carol@example.com" not in listing

    masked = open_record(client, customer)
    assert "c•••@example.com" in masked
    assert "+447911123456" not in masked and "+44 ••• ••56" in masked
    first = AccessEvent.objects.get()
    assert "email" not in first.fields and "profile.phone" not in first.fields

    unmasked = open_record(client, customer, reason="Ticket 43: call back", contact=True)
    assert "carol@example.com" in unmasked and "+447911123456" in unmasked
    second = AccessEvent.objects.latest("id")
    assert "email" in second.fields and "profile.phone" in second.fields


@pytest.mark.commitment("SEC-03")
@pytest.mark.parametrize(
    "role,expected",
    [
        # users list, user record, plans, access log, records of processing, add plan
        (roles.SUPPORT_AGENT, (200, 200, 200, 403, 403, 403)),
        (roles.BILLING, (200, 200, 200, 403, 403, 403)),
        (roles.PRIVACY_OFFICER, (200, 200, 403, 200, 200, 403)),
        (roles.ADMINISTRATOR, (200, 200, 200, 200, 200, 200)),
    ],
)
def test_each_role_reaches_only_what_it_needs(
    customer: User, role: str, expected: tuple[int, ...]
) -> None:
    client, _ = staff_client(role, "member")
    paths = [
        "/admin/accounts/user/",
        f"/admin/accounts/user/{customer.pk}/change/",
        "/admin/catalog/plan/",
        "/admin/audit/accessevent/",
        "/admin/records-of-processing/",
        "/admin/catalog/plan/add/",
    ]

    got = tuple(client.get(path).status_code for path in paths)

    assert got == expected


@pytest.mark.commitment("SEC-03")
def test_billing_does_not_see_profiles(customer: User) -> None:
    client, _ = staff_client(roles.BILLING, "bill")

    page = open_record(client, customer)

    assert "+447911123456" not in page
    assert "1990" not in page


@pytest.mark.commitment("SEC-04")
def test_customers_see_who_accessed_their_data(customer: User) -> None:
    staff, _ = staff_client(roles.SUPPORT_AGENT, "sam")
    open_record(staff, customer, reason="Ticket 44: eSIM will not install")
    me = Client()
    me.force_login(customer)

    page = me.get("/account/data-access/").content.decode()

    assert "Support agent" in page
    assert "Ticket 44: eSIM will not install" in page
    assert "sam" not in page  # roles, not staff names


def test_audit_log_cannot_be_changed_from_the_back_office(customer: User) -> None:
    client, _ = staff_client(None, "root")
    open_record(client, customer)
    event = AccessEvent.objects.get()

    assert client.get(f"/admin/audit/accessevent/{event.pk}/delete/").status_code == 403
    page = client.post(f"/admin/audit/accessevent/{event.pk}/change/", {"reason": "x"})
    assert AccessEvent.objects.get().reason == event.reason
    assert page.status_code in (200, 403)


@pytest.mark.commitment("SEC-04")
def test_every_back_office_page_of_customer_data_is_audited() -> None:
    from django.contrib import admin

    from roamwise.audit.admin import PersonalDataAdmin
    from roamwise.datamap.registry import data_map

    unaudited = [
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if data_map.for_model(model) is not None
        and model._meta.label != "audit.AccessEvent"
        and not isinstance(model_admin, PersonalDataAdmin)
    ]
    assert unaudited == []
    assert data_map.for_model(User) is not None


@pytest.mark.commitment("SEC-03")
def test_staff_without_permission_get_no_reason_form_and_leave_no_event(customer: User) -> None:
    client, _ = staff_client("", "nobody")
    url = f"/admin/accounts/user/{customer.pk}/change/"

    assert client.get(url).status_code == 403
    assert client.post(url, {"_audit_reason": "just looking around"}).status_code == 403
    assert AccessEvent.objects.count() == 0


@pytest.mark.commitment("SEC-03")
def test_no_role_but_a_superuser_can_grant_powers_or_set_passwords(customer: User) -> None:
    client, member = staff_client(roles.PRIVACY_OFFICER, "paula")
    open_record(client, member)
    form = client.get(f"/admin/accounts/user/{member.pk}/change/").context["adminform"].form

    assert "is_superuser" not in form.fields and "groups" not in form.fields
    assert client.get(f"/admin/accounts/user/{customer.pk}/password/").status_code == 403


@pytest.mark.commitment("SEC-03")
def test_roles_without_contact_access_cannot_search_by_email(customer: User) -> None:
    client, _ = staff_client(roles.BILLING, "bill")

    found = client.get("/admin/accounts/user/", {"q": "carol@example.com"})

    assert "0 results" in found.content.decode()
    assert (
        client.get("/admin/accounts/user/", {"q": "carol"})
        .content.decode()
        .count('href="/admin/accounts/user/')
        >= 1
    )


@pytest.mark.commitment("SEC-04")
def test_bulk_deletion_is_logged(customer: User) -> None:
    from roamwise.accounts.models import AccountClosure
    from roamwise.accounts.services import account_close

    client, _ = staff_client(None, "root")
    other = make_customer("dave")
    closures = [account_close(user=customer).pk, account_close(user=other).pk]

    client.post(
        "/admin/accounts/accountclosure/",
        {"action": "delete_selected", "post": "yes", "_selected_action": closures},
    )

    assert not AccountClosure.objects.filter(pk__in=closures).exists()
    deleted = AccessEvent.objects.filter(action="delete")
    assert {e.subject_id for e in deleted} == {customer.public_id, other.public_id}


@pytest.mark.commitment("RGT-03")
def test_the_back_office_cannot_delete_an_account_around_erasure(customer: User) -> None:
    """Accounts are erased through the data map (rights.erasure, ADR 0010): a
    plain delete would neither keep what law requires nor shred the key."""
    from roamwise.vault.models import DataKey

    client, _ = staff_client(None, "root")

    page = client.get(f"/admin/accounts/user/{customer.pk}/delete/")
    client.post(
        "/admin/accounts/user/",
        {"action": "delete_selected", "post": "yes", "_selected_action": [customer.pk]},
    )

    assert page.status_code == 403
    assert User.objects.filter(pk=customer.pk).exists()
    assert DataKey.objects.filter(subject_id=customer.public_id).exists()
