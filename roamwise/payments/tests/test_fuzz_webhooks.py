"""Payment webhooks under fuzzing (ADR 0017).

Whatever a processor (or someone holding its secret) posts, the answer is a
2xx or a clean 4xx with a JSON message, never a 5xx. Bodies are signed with
the real secret, so the parser behind the signature is what gets fuzzed; the
references of a real awaiting payment are mixed in, so events reach the
payment, refund and dispute paths too. Odd but valid events (unicode card
brands, card fields out of range, optional fields missing, keys repeated)
still mark the order paid: a processor cannot fix them by retrying.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from hypothesis import example, given
from hypothesis import strategies as st

from roamwise.accounts.models import User
from roamwise.catalog.models import Plan
from roamwise.core.signing import signature_header
from roamwise.core.tests.fuzzing import json_bodies, maybe, odd_text, with_duplicate_keys
from roamwise.orders.models import Order, OrderStatus
from roamwise.orders.services import order_await_payment, order_create
from roamwise.payments.gateways.simulated import KINDS as SIMULATED_KINDS
from roamwise.payments.gateways.stripe import KINDS as STRIPE_KINDS
from roamwise.payments.models import Payment, WebhookEvent
from roamwise.payments.tests.fake_stripe import FakeStripe, stripe_signature
from roamwise.testing.people import make_customer
from roamwise.testing.shopping import BILLING

SESSION = "cs_fuzz_1"
INTENT = "pi_fuzz_1"
STRIPE_SECRET = "whsec_fuzz_secret"
CLEAN_ANSWERS = {200, 400, 409}


def awaiting_payment(customer: User, *, processor: str = "simulated") -> Payment:
    plan = Plan.objects.get(destination__code="JP", data_mb=1024)
    order = order_await_payment(order=order_create(customer=customer, plan=plan, billing=BILLING))
    return Payment.objects.create(
        order=order,
        processor=processor,
        processor_ref=SESSION,
        payment_ref=INTENT if processor == "stripe" else "",
        amount=order.total,
        currency=order.currency,
    )


@pytest.fixture
def payer(catalog: None) -> User:
    return make_customer("fuzzpayer")


@pytest.fixture
def awaiting(payer: User) -> Payment:
    return awaiting_payment(payer)


def assert_clean(response: Any) -> None:
    assert response.status_code in CLEAN_ANSWERS, (response.status_code, response.content)
    answer = response.json()
    assert answer.get("received") is True or answer["message"]


# --- The simulated processor -----------------------------------------------------

identifiers = st.text("abcdefghijklmnopqrstuvwxyz_0123456789", min_size=1, max_size=30)
amounts = st.decimals(allow_nan=True, allow_infinity=True).map(str) | st.sampled_from(
    ["5.00", "0.01", "0", "-1", "1e9999", "NaN", "sNaN", "Infinity", "1_000", " 5 "]
)
card = st.fixed_dictionaries(
    {},
    optional={
        "brand": maybe(odd_text),
        "last4": maybe(st.from_regex(r"\A[0-9]{4}\Z") | odd_text),
        "exp_month": maybe(st.integers(-5, 20) | st.integers()),
        "exp_year": maybe(st.integers(1900, 2100) | st.integers()),
    },
)
simulated_event = st.fixed_dictionaries(
    {
        "id": maybe(identifiers.map(lambda s: f"evt_{s}") | odd_text),
        "type": maybe(st.sampled_from([*SIMULATED_KINDS, "payment.unknown"])),
        "data": maybe(
            st.fixed_dictionaries(
                {"session": maybe(st.just(SESSION) | odd_text)},
                optional={
                    "card": maybe(card),
                    "failure_code": maybe(odd_text),
                    "amount": maybe(amounts),
                    "refund": maybe(
                        st.fixed_dictionaries(
                            {},
                            optional={
                                "id": maybe(identifiers.map(lambda s: f"re_{s}")),
                                "amount": maybe(amounts),
                                "reference": maybe(odd_text),
                            },
                        )
                    ),
                    "dispute": maybe(st.fixed_dictionaries({"id": odd_text})),
                },
            )
        ),
    },
    optional={"created": maybe(st.integers())},
)


def post_simulated(client: Client, body: bytes) -> Any:
    return client.post(
        "/payments/webhooks/simulated/",
        body,
        content_type="application/json",
        headers={"Gateway-Signature": signature_header(body, settings.GATEWAY_WEBHOOK_SECRET)},
    )


def simulated_body(**fields: Any) -> bytes:
    event = {
        "id": "evt_example",
        "type": "payment.succeeded",
        "data": {"session": SESSION, "card": {"brand": "visa", "last4": "4242"}},
    }
    event.update(fields)
    return json.dumps(event).encode()


@pytest.mark.commitment("ORD-03")
@given(body=json_bodies(simulated_event))
@example(body=b"[" * 50_000 + b"]" * 50_000)  # deeper than Python recurses
@example(body=simulated_body(id="evt_\x00"))  # NUL: PostgreSQL text refuses it
@example(body=simulated_body(id="evt_\ud800"))  # a lone surrogate cannot be encoded
@example(body=simulated_body(id="e" * 500))  # longer than the column
@example(body=simulated_body(type="payment.succeeded" + "x" * 100))
@example(body=simulated_body(data={"session": SESSION, "card": {"exp_month": 10**30}}))
@example(body=simulated_body(data={"session": SESSION, "card": {"exp_year": "soon"}}))
@example(body=simulated_body(data={"session": SESSION, "card": {"brand": ["visa"]}}))
@example(
    body=simulated_body(
        type="refund.succeeded", data={"session": SESSION, "refund": {"amount": "NaN"}}
    )
)
@example(
    body=simulated_body(
        type="refund.succeeded", data={"session": SESSION, "refund": {"amount": "1e9999"}}
    )
)
@example(
    body=simulated_body(
        type="refund.succeeded", data={"session": SESSION, "refund": {"amount": "0.001"}}
    )
)
@example(body=simulated_body(data={"session": {"nested": 1}}))
def test_no_simulated_webhook_body_gives_a_5xx(
    client: Client, awaiting: Payment, body: bytes
) -> None:
    response = post_simulated(client, body)

    assert_clean(response)
    if response.status_code == 400:
        assert response.json()["code"] in ("malformed_event", "invalid_signature")


@pytest.mark.commitment("ORD-03")
@given(
    brand=odd_text,
    last4=odd_text,
    exp_month=st.integers() | st.none() | odd_text,
    exp_year=st.integers() | st.none() | odd_text,
    event_id=identifiers,
    duplicate=st.booleans(),
)
@example(
    brand="V\u00efs\u00e4 \U0001d519\x00",
    last4="42",
    exp_month=13,
    exp_year=10**6,
    event_id="x",
    duplicate=False,
)
@example(brand="visa", last4="4242", exp_month=None, exp_year=None, event_id="y", duplicate=True)
def test_odd_but_valid_success_events_still_mark_the_order_paid(
    client: Client,
    payer: User,
    brand: str,
    last4: str,
    exp_month: object,
    exp_year: object,
    event_id: str,
    duplicate: bool,
) -> None:
    Payment.objects.filter(processor_ref=SESSION).delete()
    payment = awaiting_payment(payer)
    event = {
        "id": f"evt_{event_id}_{payment.pk}",
        "type": "payment.succeeded",
        "data": {
            "session": SESSION,
            "card": {"brand": brand, "last4": last4, "exp_month": exp_month, "exp_year": exp_year},
        },
    }
    body = json.dumps(event).encode()
    if duplicate:  # the same key twice: the last one counts, as in every JSON parser here
        body = body[:-1] + b',"type":"payment.succeeded"}'

    response = post_simulated(client, body)

    assert response.status_code == 200, response.content
    assert response.json()["outcome"] == "paid"
    payment.refresh_from_db()
    assert payment.order.status == OrderStatus.PAID
    assert payment.status == Payment.Status.SUCCEEDED
    assert payment.card_last4 in ("", last4)
    assert payment.card_exp_month in (None, exp_month)
    assert payment.card_exp_year in (None, exp_year)
    assert "\x00" not in payment.card_brand and len(payment.card_brand) <= 20


# --- Stripe -------------------------------------------------------------------------


@pytest.fixture
def stripe_server(settings: Any) -> Any:
    with FakeStripe() as server:
        settings.PAYMENT_GATEWAY = "stripe"
        settings.STRIPE_API_KEY = "sk_test_roamwise"
        settings.STRIPE_WEBHOOK_SECRET = STRIPE_SECRET
        settings.STRIPE_API_BASE = server.url
        server.intents[INTENT] = {
            "id": INTENT,
            "object": "payment_intent",
            "status": "succeeded",
            "latest_charge": {
                "id": "ch_1",
                "object": "charge",
                "payment_method_details": {"type": "card", "card": {"brand": "visa"}},
            },
        }
        yield server


stripe_object = st.fixed_dictionaries(
    {"id": maybe(st.just(SESSION) | identifiers)},
    optional={
        "payment_status": maybe(st.sampled_from(["paid", "unpaid"])),
        "payment_intent": maybe(st.just(INTENT) | identifiers),
        "status": maybe(st.sampled_from(["succeeded", "pending"])),
        "amount": maybe(st.integers(-10, 10**6) | st.integers()),
        "currency": maybe(st.sampled_from(["usd", "jpy", "eur"]) | odd_text),
        "metadata": maybe(st.fixed_dictionaries({}, optional={"refund": maybe(odd_text)})),
    },
)
stripe_event = st.fixed_dictionaries(
    {
        "id": maybe(identifiers.map(lambda s: f"evt_{s}") | odd_text),
        "object": st.just("event"),
        "type": maybe(st.sampled_from([*STRIPE_KINDS, "customer.created"])),
        "data": maybe(st.fixed_dictionaries({"object": maybe(stripe_object)})),
    }
)


def stripe_body(event_type: str, obj: dict[str, Any], event_id: str = "evt_s") -> bytes:
    return json.dumps(
        {"id": event_id, "object": "event", "type": event_type, "data": {"object": obj}}
    ).encode()


@pytest.mark.commitment("ORD-03")
@given(body=json_bodies(stripe_event) | with_duplicate_keys(stripe_event))
@example(body=b'{"a":' * 50_000 + b"1" + b"}" * 50_000)
@example(
    body=stripe_body(
        "refund.created",
        {"id": "re_1", "status": "succeeded", "payment_intent": INTENT, "amount": "lots",
         "currency": "usd"},
    )
)  # fmt: skip
@example(
    body=stripe_body(
        "refund.created",
        {"id": "re_1", "status": "succeeded", "payment_intent": INTENT, "amount": 10**40,
         "currency": "usd"},
    )
)  # fmt: skip
@example(
    body=stripe_body(
        "checkout.session.completed",
        {"id": SESSION, "payment_status": "paid", "payment_intent": {"id": INTENT}},
    )
)
@example(
    body=stripe_body(
        "checkout.session.completed",
        {"id": SESSION, "payment_status": "paid", "payment_intent": "pi_unknown"},
    )
)
@example(body=stripe_body("checkout.session.expired", {"id": ["cs"]}))
@example(body=stripe_body("charge.dispute.created", {"id": "dp_1"}, event_id="e\x00"))
def test_no_stripe_webhook_body_gives_a_5xx(
    client: Client, payer: User, stripe_server: Any, body: bytes
) -> None:
    if not Payment.objects.filter(processor="stripe").exists():
        awaiting_payment(payer, processor="stripe")

    response = client.post(
        "/payments/webhooks/stripe/",
        body,
        content_type="application/json",
        headers={"Stripe-Signature": stripe_signature(body, STRIPE_SECRET)},
    )

    assert_clean(response)


@pytest.mark.commitment("ORD-03")
@given(header=odd_text | st.text(min_size=0, max_size=80))
@example(header="t=" + "9" * 400 + ",v1=00")  # a timestamp beyond any float
@example(header="t=-99999999999999999999,v1=00")
@example(header="t=1,v1=\ud800")
def test_no_signature_header_gives_a_5xx(client: Client, awaiting: Payment, header: str) -> None:
    body = simulated_body()
    try:
        response = client.post(
            "/payments/webhooks/simulated/",
            body,
            content_type="application/json",
            headers={"Gateway-Signature": header},
        )
    except UnicodeEncodeError:
        return  # a header that HTTP cannot carry never reaches us
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_signature"
    assert Order.objects.get(pk=awaiting.order_id).status == OrderStatus.AWAITING_PAYMENT
    assert WebhookEvent.objects.count() == 0


def test_decimal_amounts_in_refund_events_are_exact(client: Client, awaiting: Payment) -> None:
    """Regression for the fuzzer's refund examples: a settled refund keeps its cents."""
    assert post_simulated(client, simulated_body(id="evt_paid")).json()["outcome"] == "paid"
    refund = {"id": "re_x", "amount": "0.10", "reference": ""}
    response = post_simulated(
        client,
        simulated_body(
            id="evt_r", type="refund.succeeded", data={"session": SESSION, "refund": refund}
        ),
    )

    assert response.json()["outcome"] == "refunded"
    order = Order.objects.get(pk=awaiting.order_id)
    assert order.refunded_amount == Decimal("0.10")
    assert order.status == OrderStatus.PARTIALLY_REFUNDED
