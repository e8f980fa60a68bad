"""The authorization matrix (SEC-01, SEC-03): every URL pattern and every API
operation, called as anonymous, as the owner, as another customer and as staff
of each role.

The endpoints come from the URL resolver and the OpenAPI spec, so a new one is
covered the day it is added: a page that forgets its login check fails here
unless it is listed as public below, and a URL with an object id fails until
this file knows how to make an object for it (``OWNED_PAGES`` /
``OWNED_API_PARAMS``), on purpose.

The rules:
- anonymous: a login redirect (pages) or 401 (API), unless public;
- another customer (and staff, on customer pages): 404, the same answer as for
  an id that does not exist, never 403 and never the data;
- the owner: not 404, no server error;
- staff in the back office: exactly what their role's permissions allow;
- ids of objects in customer URLs are UUIDs, not counters.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from roamwise.accounts.models import User
from roamwise.api import api
from roamwise.audit import roles
from roamwise.catalog.models import Plan
from roamwise.esims.models import Esim
from roamwise.esims.services.provisioning import esim_for_order
from roamwise.notifications.models import Campaign, CampaignMessage
from roamwise.orders.models import Order
from roamwise.orders.services import (
    order_await_payment,
    order_create,
    order_mark_paid,
)
from roamwise.rights.evidence import Upload as EvidenceUpload
from roamwise.rights.models import DataRequest, DataRequestFile
from roamwise.rights.services.customer import correction_request
from roamwise.support.attachments import Upload
from roamwise.support.models import Ticket, TicketAttachment
from roamwise.support.services import ticket_open
from roamwise.testing.people import PASSWORD, enable_totp, make_customer, totp_code
from roamwise.testing.shopping import BILLING

pytestmark = [pytest.mark.django_db]

LOGIN_URL = "/accounts/login/"

# Pages anyone may open, signed in or not.
PUBLIC_PAGES = {
    "catalog:home",
    # The shop's logo, favicon and colour (404 until staff set them).
    "shop_logo",
    "shop_favicon",
    "shop_theme",
    "catalog:destination_list",
    "catalog:destination_suggest",
    "catalog:destination_detail",
    "catalog:plan_detail",
    "catalog:currency",  # the currency prices are shown in: a cookie, and the profile if signed in
    "devices:compatibility",
    "support:new",
    "support:complaints",
    "rights:public",
    "rights:child_report",  # anyone may report a suspected under-13 account (CHD-04)
    "privacy_policy",
    "governance:policy_version",
    "terms",
    "terms_version",  # 404 for a version never published, as here
    "company",
    "help:index",
    "help:install",
    "robots_txt",
    "sitemap",
    "cookie_settings",
    "cookie_policy",
    "set_language",  # the language switcher in every page's footer
    "healthz",
    # Probes and the scrape of a load balancer and Prometheus: /metrics asks
    # for its own token (404 without one configured, 401 without it).
    "livez",
    "readyz",
    "metrics",
    "api_docs",
    "api-1.0.0:openapi-json",
    "api-1.0.0:api-root",
    "notifications:unread",  # answers {"unread": 0} to visitors
    "consent:choose",
    "analytics:collect",
    "support:list",  # sends a visitor to the form
    "accounts:awaiting_parental_consent",  # tells a refused sign-in why (403, no data)
    # allauth's own pages for signing in, up and back.
    "account_login",
    "account_logout",
    "account_signup",
    "account_inactive",
    "account_reset_password",
    "account_reset_password_done",
    "account_reset_password_from_key_done",
    # allauth answers an unknown key with a page that says the link is invalid.
    "account_confirm_email",
    "account_reset_password_from_key",
}

# The page where a new customer types the code emailed to them: a visitor
# with no sign-up waiting for a code is sent to sign in ("account_email_
# verification_sent" is not public, and is checked as the rest below).

# Pages a visitor opens with the access an emailed link granted to their
# session; without it they answer as for a ticket that does not exist.
VISITOR_PAGES = {"support:detail", "support:thread", "support:attachment"}

# Authorised by a secret in the URL: a wrong secret is refused.
TOKEN_PAGES = {
    "support:confirm": {"token": "not-a-real-token"},
    "support:access": {"token": "not-a-real-token"},
    "notifications:unsubscribe": {"token": "not-a-real-token"},
    "parental_consent": {"token": "not-a-real-token"},
    "rights:verify": {"token": "not-a-real-token"},
    "rights:download": {"token": "not-a-real-token"},
}

# allauth's links with a key, called with a wrong one.
ALLAUTH_KEY_PAGES = {
    "account_confirm_email": {"key": "not-a-real-key"},
    "account_reset_password_from_key": {"uidb36": "zz", "key": "not-a-real-key"},
}

# Other systems' endpoints, authenticated by a signature or key: anonymous
# callers are refused. The simulators (gateway, SM-DP+, network) are separate
# systems on their own ports (ADR 0018), mounted here by the stand_ins fixture.
MACHINE_PAGES = {
    "payments:webhook": {"processor": "simulated"},
    "esims:handle_download_progress_info": {},
    "esims:handle_download_progress_info_sgp22": {},
    "support:inbound_email": {},
    "smdp:es2plus": {"function": "downloadOrder"},
    "smdp:device_download": {},
    "gateway:api_sessions": {},
    "gateway:api_session": {"session_id": "cs_missing"},
    "gateway:api_dispute": {"session_id": "cs_missing"},
    "gateway:api_refunds": {},
    "gateway:fault_admin": {},
    "smdp:fault_admin": {},
    "gateway:pay": {"session_id": "cs_missing"},
    "gateway:challenge": {"session_id": "cs_missing"},
    "network:subscription": {"iccid": "8944990000000000001"},
    "network:subscription_suspend": {"iccid": "8944990000000000001"},
    "network:subscription_resume": {"iccid": "8944990000000000001"},
    "network:subscription_terminate": {"iccid": "8944990000000000001"},
    "network:bundles": {"iccid": "8944990000000000001"},
    # Wholesalers' notifications: Airalo and eSIM Go sign their body, eSIM
    # Access's URL holds a secret.
    "suppliers:airalo-webhook": {},
    "suppliers:esimaccess-webhook": {"token": "not-a-real-token"},
    "suppliers:esimgo-webhook": {},
}

# allauth's headless API and a passkey's numeric id are allauth's, checked by
# allauth itself; the matrix leaves them to it.
SKIPPED_PREFIXES = ("admin/", "_allauth/", "api/v1/")
SKIPPED_PAGES = {"mfa_remove_webauthn", "mfa_edit_webauthn"}


@dataclass
class World:
    alice: User
    bob: User
    plan: Plan
    order: Order
    esim: Esim
    ticket: Ticket
    attachment: TicketAttachment
    data_request: DataRequest
    evidence: DataRequestFile


# How to name alice's object in each customer URL that carries an id.
OWNED_PAGES: dict[str, Callable[[World], dict[str, Any]]] = {
    **{
        f"orders:{name}": (lambda w: {"public_id": w.order.public_id})
        for name in ("detail", "esim", "pay", "refund_request", "invoice", "invoice_pdf")
    },
    **{
        f"esims:{name}": (lambda w: {"public_id": w.esim.public_id})
        for name in ("detail", "qr_png", "suspend", "resume", "delete", "topup")
    },
    "rights:request": lambda w: {"public_id": w.data_request.public_id},
    "rights:request_file": lambda w: {
        "public_id": w.data_request.public_id,
        "file_id": w.evidence.public_id,
    },
    "support:detail": lambda w: {"public_id": w.ticket.public_id},
    "support:thread": lambda w: {"public_id": w.ticket.public_id},
    "support:attachment": lambda w: {
        "public_id": w.ticket.public_id,
        "attachment_id": w.attachment.public_id,
    },
}

# Customer pages with an id that is not anybody's (the catalogue).
CATALOGUE_PAGES: dict[str, Callable[[World], dict[str, Any]]] = {
    "orders:checkout": lambda w: {"plan_id": w.plan.public_id},
    "catalog:destination_detail": lambda w: {"slug": w.plan.destination.slug},
    "catalog:plan_detail": lambda w: {"public_id": w.plan.public_id},
    "governance:policy_version": lambda w: {"label": "2025-01"},
    "governance:policy_accept": lambda w: {"label": "2025-01"},
    "terms_version": lambda w: {"label": "2026-12"},
    "help:install": lambda w: {"platform": "iphone"},
}


@pytest.fixture
def world(alice: User, bob: User, plan: Plan) -> World:
    order = order_create(customer=alice, plan=plan, billing=BILLING)
    order_await_payment(order=order)
    order_mark_paid(order_id=order.pk, actor="test")
    order.refresh_from_db()
    esim = esim_for_order(order=order)
    # Provisioned: the QR code and install links exist.
    Esim.objects.filter(pk=esim.pk).update(state="ready", smdp_address="smdp.example")
    esim.refresh_from_db()
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    ticket = ticket_open(
        customer=alice,
        category="technical",
        title="No data in Lyon",
        body="The eSIM shows no signal.",
        uploads=[Upload(filename="screen.png", content_type="image/png", content=png)],
    )
    data_request = correction_request(
        user=alice,
        fields=["accounts.Profile.date_of_birth"],
        details="My date of birth is 17 May 1991.",
        uploads=[EvidenceUpload(filename="passport.png", content_type="image/png", content=png)],
    )
    return World(
        data_request=data_request,
        evidence=DataRequestFile.objects.get(request=data_request),
        alice=alice,
        bob=bob,
        plan=plan,
        order=order,
        esim=esim,
        ticket=ticket,
        attachment=TicketAttachment.objects.get(message__ticket=ticket),
    )


@dataclass(frozen=True)
class Page:
    name: str
    route: str
    keywords: tuple[str, ...]


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[Page]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            space = namespace
            if entry.namespace:
                space = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), space)
        elif isinstance(entry, URLPattern) and entry.name:
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            yield Page(name, prefix + str(entry.pattern), tuple(entry.pattern.regex.groupindex))


def site_pages() -> list[Page]:
    pages = {}
    for page in _walk(get_resolver().url_patterns):
        if page.route.startswith(SKIPPED_PREFIXES) or page.name in SKIPPED_PAGES:
            continue
        pages.setdefault(page.name, page)
    return sorted(pages.values(), key=lambda p: p.name)


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def staff_member(role: str) -> tuple[Client, User]:
    """A staff member of one role, signed in with a password and a second factor."""
    username = "staff_" + re.sub(r"\W", "_", role.lower())
    member = make_customer(username, is_staff=True)
    member.groups.add(Group.objects.get(name=role))
    secret = enable_totp(member)
    client = Client()
    client.post(LOGIN_URL, {"login": username, "password": PASSWORD})
    client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    return client, member


def is_login_redirect(response: Any) -> bool:
    return response.status_code == 302 and response["Location"].startswith(
        (LOGIN_URL, "/admin/login/")
    )


@pytest.mark.commitment("SEC-01")
def test_every_page_is_classified() -> None:
    """A page with an id must say how to make its object, so it is tested."""
    known = (
        set(OWNED_PAGES)
        | set(CATALOGUE_PAGES)
        | set(TOKEN_PAGES)
        | set(MACHINE_PAGES)
        | set(ALLAUTH_KEY_PAGES)
    )
    unclassified = [page.route for page in site_pages() if page.keywords and page.name not in known]
    assert unclassified == [], "teach the matrix how to call these pages"


@pytest.mark.commitment("SEC-01")
def test_anonymous_visitors_are_sent_to_sign_in_except_on_public_pages(world: World) -> None:
    client = Client()
    wrong = []
    for page in site_pages():
        if page.name in TOKEN_PAGES or page.name in MACHINE_PAGES:
            continue
        maker = OWNED_PAGES.get(page.name) or CATALOGUE_PAGES.get(page.name)
        kwargs = maker(world) if maker else ALLAUTH_KEY_PAGES.get(page.name)
        url = reverse(page.name, kwargs=kwargs)
        response = client.get(url)
        if response.status_code >= 500:
            wrong.append(f"{url}: {response.status_code}")
        elif page.name in VISITOR_PAGES:
            if response.status_code != 404:
                wrong.append(f"{url}: {response.status_code} to a visitor without access")
        elif page.name in PUBLIC_PAGES:
            if is_login_redirect(response):
                wrong.append(f"{url}: public page asks to sign in")
        elif not is_login_redirect(response):
            wrong.append(f"{url}: {response.status_code} to a visitor, not a login redirect")
    assert wrong == [], "\n".join(wrong)


@pytest.mark.commitment("SEC-01")
def test_wrong_secrets_and_unsigned_machine_calls_are_refused(
    world: World, stand_ins: None
) -> None:
    client = Client()
    wrong = []
    for name, kwargs in {**TOKEN_PAGES, **MACHINE_PAGES}.items():
        url = reverse(name, kwargs=kwargs or None)
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            if name == "smdp:es2plus" and response.status_code == 200:
                # SGP.22 6.5: ES2+ answers 200 and says in the body that it failed.
                status = response.json()["header"]["functionExecutionStatus"]["status"]
                if status != "Failed":
                    wrong.append(f"{method.upper()} {url}: ES2+ status {status}")
            elif response.status_code not in (400, 401, 403, 404, 405, 410):
                wrong.append(f"{method.upper()} {url}: {response.status_code}")
    assert wrong == [], "\n".join(wrong)


def missing_twin(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The same URL arguments with every id replaced by one nobody has."""
    return {k: uuid.uuid4() if isinstance(v, uuid.UUID) else v for k, v in kwargs.items()}


def refused_like_missing(client: Client, name: str, kwargs: dict[str, Any]) -> list[str]:
    """GET and POST on someone else's object answer exactly as for an object
    that does not exist: 404, or 405 where the page takes no such method."""
    wrong = []
    url, nowhere = reverse(name, kwargs=kwargs), reverse(name, kwargs=missing_twin(kwargs))
    for method in ("get", "post"):
        theirs = getattr(client, method)(url).status_code
        nobody = getattr(client, method)(nowhere).status_code
        if theirs != nobody or theirs not in (404, 405):
            wrong.append(f"{method.upper()} {url}: {theirs} (for a missing id: {nobody})")
    return wrong


@pytest.mark.commitment("SEC-01")
def test_another_customer_gets_404_on_every_page_of_an_object(world: World) -> None:
    owner, other = signed_in(world.alice), signed_in(world.bob)
    wrong = []
    for name, maker in OWNED_PAGES.items():
        url = reverse(name, kwargs=maker(world))
        seen = owner.get(url)
        if seen.status_code in (404,) or seen.status_code >= 500 or is_login_redirect(seen):
            wrong.append(f"owner GET {url}: {seen.status_code}")
        wrong += [f"other {line}" for line in refused_like_missing(other, name, maker(world))]
    assert wrong == [], "\n".join(wrong)
    # Bob's attempts changed nothing of alice's.
    assert Esim.objects.get(pk=world.esim.pk).state == world.esim.state
    assert Ticket.objects.get(pk=world.ticket.pk).status == world.ticket.status


@pytest.mark.commitment("SEC-03")
def test_staff_see_customer_data_only_through_the_back_office(world: World) -> None:
    roles.ensure_roles()
    wrong = []
    for role in roles.ROLE_PERMISSIONS:
        client, _ = staff_member(role)
        for name, maker in OWNED_PAGES.items():
            wrong += [f"{role} {line}" for line in refused_like_missing(client, name, maker(world))]
    assert wrong == [], "\n".join(wrong)


def test_customer_urls_carry_uuids_not_counters(world: World) -> None:
    for name, maker in OWNED_PAGES.items():
        for key, value in maker(world).items():
            assert isinstance(value, uuid.UUID), f"{name}: {key} is {value!r}"
    counters = [p.route for p in site_pages() if "<int:" in p.route]
    assert counters == []


# --- The API, from its OpenAPI spec -------------------------------------------

# Operations anyone may call: the catalogue, the device check, a visitor's
# ticket (verified by email) and the cookie choices of a visitor.
PUBLIC_OPERATIONS = {
    "GET /api/v1/destinations",
    "GET /api/v1/destinations/{code}",
    "GET /api/v1/destinations/{code}/plans",
    "GET /api/v1/plans/{plan_id}",
    "POST /api/v1/devices/check",
    "POST /api/v1/support/visitor-tickets",
    "POST /api/v1/rights/public-requests",
}

OWNED_API_PARAMS: dict[str, Callable[[World], str]] = {
    "order_id": lambda w: str(w.order.public_id),
    "esim_id": lambda w: str(w.esim.public_id),
    "ticket_id": lambda w: str(w.ticket.public_id),
    "request_id": lambda w: str(w.data_request.public_id),
}
CATALOGUE_API_PARAMS: dict[str, Callable[[World], str]] = {
    "code": lambda w: w.plan.destination.code,
    "plan_id": lambda w: str(w.plan.public_id),
}


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    path: str
    params: tuple[str, ...]

    @property
    def key(self) -> str:
        return f"{self.method.upper()} {self.path}"


def api_operations() -> list[Operation]:
    spec = api.get_openapi_schema()
    operations = []
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            params = tuple(re.findall(r"{(\w+)}", path))
            operations.append(Operation(operation["operationId"], method, path, params))
    return sorted(operations, key=lambda o: (o.path, o.method))


def api_url(operation: Operation, values: dict[str, str]) -> str:
    path = operation.path
    for name in operation.params:
        path = path.replace("{" + name + "}", values[name])
    return path


def call(client: Client, operation: Operation, url: str) -> Any:
    method = getattr(client, operation.method)
    if operation.method in ("post", "put", "patch"):
        return method(url, data="{}", content_type="application/json")
    return method(url)


@pytest.mark.commitment("SEC-01")
def test_every_api_operation_is_classified() -> None:
    known = set(OWNED_API_PARAMS) | set(CATALOGUE_API_PARAMS)
    unknown = [
        f"{o.method.upper()} {o.path}"
        for o in api_operations()
        if any(p not in known for p in o.params)
    ]
    assert unknown == [], "teach the matrix how to fill these path parameters"


@pytest.mark.commitment("SEC-01")
def test_anonymous_api_calls_get_401_except_public_operations(world: World) -> None:
    client = Client()
    values = {k: f(world) for k, f in {**OWNED_API_PARAMS, **CATALOGUE_API_PARAMS}.items()}
    wrong = []
    for operation in api_operations():
        response = call(client, operation, api_url(operation, values))
        status = response.status_code
        if status >= 500:
            wrong.append(f"{operation.operation_id}: {status}")
        elif operation.key in PUBLIC_OPERATIONS:
            if status == 401:
                wrong.append(f"{operation.key}: public operation answered 401")
        elif status != 401:
            wrong.append(f"{operation.key}: {status} to anonymous, not 401")
    assert wrong == [], "\n".join(wrong)


@pytest.mark.commitment("SEC-01")
def test_another_customer_gets_the_answer_of_a_missing_object_from_the_api(
    world: World,
) -> None:
    """Bob asking for alice's order gets exactly what he gets for an order that
    does not exist: 404 for reads; for writes, the same status either way."""
    owner, other = signed_in(world.alice), signed_in(world.bob)
    mine = {k: f(world) for k, f in {**OWNED_API_PARAMS, **CATALOGUE_API_PARAMS}.items()}
    missing = {**mine, **{k: str(uuid.uuid4()) for k in OWNED_API_PARAMS}}
    wrong = []
    owned = [o for o in api_operations() if set(o.params) & set(OWNED_API_PARAMS)]
    assert owned, "the API has operations on customers' objects"
    for operation in owned:
        url = api_url(operation, mine)
        if operation.method == "get":
            seen = call(owner, operation, url).status_code
            # 409: the owner's object, in a state the operation does not apply to.
            if seen not in (200, 409):
                wrong.append(f"owner {operation.operation_id}: {seen}")
        theirs = call(other, operation, url).status_code
        nobody = call(other, operation, api_url(operation, missing)).status_code
        if operation.method == "get" and theirs != 404:
            wrong.append(f"other {operation.operation_id}: {theirs}")
        if theirs != nobody or theirs in (200, 201, 202, 204, 403):
            wrong.append(f"other {operation.operation_id}: {theirs} (missing: {nobody})")
    assert wrong == [], "\n".join(wrong)


def test_api_object_ids_are_uuids(world: World) -> None:
    for name, maker in OWNED_API_PARAMS.items():
        uuid.UUID(maker(world))  # raises on a counter
        assert not maker(world).isdigit(), name


# --- The back office, role by role --------------------------------------------


def admin_models() -> list[tuple[type, str]]:
    return sorted(
        (
            (model, reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"))
            for model in admin.site._registry
        ),
        key=lambda pair: pair[1],
    )


@pytest.mark.commitment("SEC-03")
def test_each_staff_role_opens_exactly_the_back_office_lists_its_permissions_allow(
    world: World,
) -> None:
    roles.ensure_roles()
    wrong = []
    customer = signed_in(world.alice)
    for _, url in admin_models():
        if not is_login_redirect(customer.get(url)):
            wrong.append(f"customer {url}")
    for role, permissions in roles.ROLE_PERMISSIONS.items():
        client, _ = staff_member(role)
        for model, url in admin_models():
            label, name = model._meta.app_label, model._meta.model_name
            allowed = f"{label}.view_{name}" in permissions or f"{label}.change_{name}" in (
                permissions
            )
            status = client.get(url).status_code
            if allowed and status != 200:
                wrong.append(f"{role} {url}: {status}, allowed by its permissions")
            if not allowed and status != 403:
                wrong.append(f"{role} {url}: {status}, not allowed by its permissions")
    assert wrong == [], "\n".join(wrong)


# Back-office pages that are not a model's list: the permission each needs.
BACK_OFFICE_ACTIONS: dict[str, tuple[str, str]] = {
    "admin:notifications_campaign_preview": ("get", "notifications.view_campaign"),
    "admin:notifications_campaign_preview_html": ("get", "notifications.view_campaign"),
    "admin:notifications_campaign_send": ("post", "notifications.send_campaign"),
}


@pytest.mark.commitment("SEC-03")
def test_each_staff_role_uses_exactly_the_back_office_actions_its_permissions_allow(
    world: World,
) -> None:
    roles.ensure_roles()
    customer = signed_in(world.alice)
    wrong = []
    for role, permissions in {"customer": [], **roles.ROLE_PERMISSIONS}.items():
        client = customer if role == "customer" else staff_member(role)[0]
        campaign = Campaign.objects.create(name=f"Campaign for {role}")
        CampaignMessage.objects.create(campaign=campaign, language="en", subject="Hi", body="Hi")
        for name, (method, permission) in BACK_OFFICE_ACTIONS.items():
            response = getattr(client, method)(reverse(name, args=[campaign.pk]))
            if role == "customer":
                if not is_login_redirect(response):
                    wrong.append(f"customer {name}: {response.status_code}")
            elif permission in permissions and response.status_code not in (200, 302):
                wrong.append(f"{role} {name}: {response.status_code}, allowed by its permissions")
            elif permission not in permissions and response.status_code != 403:
                wrong.append(f"{role} {name}: {response.status_code}, not allowed")
        sent = Campaign.objects.get(pk=campaign.pk).status != Campaign.Status.DRAFT
        if sent != ("notifications.send_campaign" in permissions):
            wrong.append(f"{role}: campaign sent is {sent}")
    assert wrong == [], "\n".join(wrong)


# The order list's actions and the permission each needs; "delete" is never one.
ORDER_ACTIONS = {
    "resend_receipt": "orders.change_order",
    "refund": "orders.issue_refund",
    "export_csv": "orders.export_order",
}


@pytest.mark.commitment("SEC-03")
def test_each_staff_role_gets_exactly_the_order_actions_its_permissions_allow(
    world: World,
) -> None:
    roles.ensure_roles()
    wrong = []
    refund_page = reverse("admin:orders_order_refund", args=[world.order.pk])
    for role, permissions in roles.ROLE_PERMISSIONS.items():
        client, _ = staff_member(role)
        refund_status = client.get(refund_page).status_code
        if refund_status != (200 if "orders.issue_refund" in permissions else 403):
            wrong.append(f"{role} refund page: {refund_status}")
        if "orders.view_order" not in permissions:
            continue
        page = client.get(reverse("admin:orders_order_changelist"))
        form = page.context["action_form"]
        offered = {name for name, _ in form.fields["action"].choices} if form else set()
        expected = {name for name, needed in ORDER_ACTIONS.items() if needed in permissions}
        if offered - {""} != expected:
            wrong.append(f"{role} order actions: {sorted(offered - {''})}")
        export = client.post(
            reverse("admin:orders_order_changelist"),
            {"action": "export_csv", "_selected_action": [world.order.pk]},
        )
        exported = export.get("Content-Type", "").startswith("text/csv")
        if exported != ("orders.export_order" in permissions):
            wrong.append(f"{role} export: {export.status_code}")
    assert wrong == [], "\n".join(wrong)
