"""Promotion codes and automatic promotions: which applies, each limit, and
why a code is refused (ADR 0031)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from roamwise.accounts.models import User
from roamwise.catalog.models import Destination, Plan
from roamwise.core.ratelimit import RateLimited
from roamwise.orders.models import Order
from roamwise.orders.services import order_await_payment, order_create, order_mark_paid
from roamwise.promotions.errors import PromotionRefused
from roamwise.promotions.models import Promotion, PromotionUse
from roamwise.testing.factories import DestinationFactory, PlanFactory, PromotionFactory
from roamwise.testing.people import make_customer
from roamwise.testing.shopping import BILLING, paid_order

pytestmark = pytest.mark.django_db


def buy(customer: User, plan: Plan, code: str = "") -> Order:
    return order_create(customer=customer, plan=plan, billing=BILLING, promotion_code=code)


def refusal(customer: User, plan: Plan, code: str) -> PromotionRefused:
    before = Order.objects.count(), PromotionUse.objects.count()
    with pytest.raises(PromotionRefused) as refused:
        buy(customer, plan, code)
    # Refused: no order, no place taken under the limits.
    assert (Order.objects.count(), PromotionUse.objects.count()) == before
    return refused.value


def test_a_code_is_typed_in_any_case_and_the_order_records_the_discount(
    alice: User, plan: Plan
) -> None:
    promotion = PromotionFactory(code="SUMMER10", percent=Decimal("10"))

    order = buy(alice, plan, "  summer10 ")

    # 13.00 USD, 10 % off: 11.70 charged; French VAT on the price paid.
    assert (order.price_before_discount, order.discount_amount, order.total) == (
        Decimal("13.00"),
        Decimal("1.30"),
        Decimal("11.70"),
    )
    assert (order.net_amount, order.tax_amount) == (Decimal("9.75"), Decimal("1.95"))
    assert order.promotion == promotion
    assert order.promotion_use is not None
    assert order.promotion_use.status == PromotionUse.Status.HELD


def test_an_order_without_a_code_or_promotion_is_at_full_price(alice: User, plan: Plan) -> None:
    PromotionFactory(code="SUMMER10")

    order = buy(alice, plan)

    assert (order.discount_amount, order.total, order.price_before_discount) == (
        Decimal("0"),
        Decimal("13.00"),
        Decimal("13.00"),
    )
    assert order.promotion is None


@pytest.mark.parametrize(
    ("setup", "code", "message"),
    [
        ({}, "promotion_unknown", "There is no such code: check its spelling."),
        ({"is_active": False}, "promotion_ended", "This code is no longer valid."),
        ({"ends_in": -1}, "promotion_expired", "This code expired on"),
        ({"starts_in": 2}, "promotion_not_yet_valid", "This code is not valid yet: it starts on"),
        (
            {"elsewhere": True},
            "promotion_not_for_destination",
            "This code is not valid for plans for France.",
        ),
        ({"other_plan": True}, "promotion_not_for_plan", "This code is not valid for this plan."),
        (
            {"first_purchase_only": True},
            "promotion_first_purchase_only",
            "This code is only for a first purchase.",
        ),
        ({"used_by_others": True}, "promotion_used_up", "This code has been used up."),
        ({"used_by_you": True}, "promotion_already_used", "You have already used this code."),
        (
            {"held_by_you": True},
            "promotion_held_by_you",
            "An unpaid order of yours already uses this code",
        ),
        (
            {"fixed_in": "EUR"},
            "promotion_not_in_currency",
            "This code cannot be used when paying in USD.",
        ),
    ],
)
def test_a_code_that_does_not_apply_says_why(
    alice: User, plan: Plan, setup: dict, code: str, message: str
) -> None:
    now = timezone.now()
    fields: dict = {"code": "TRAVEL"}
    if "is_active" in setup:
        fields["is_active"] = setup["is_active"]
    if "ends_in" in setup:
        fields.update(starts_at=now - timedelta(days=9), ends_at=now + timedelta(days=-1))
    if "starts_in" in setup:
        fields["starts_at"] = now + timedelta(days=2)
    if setup.get("elsewhere"):
        fields["destinations"] = [Destination.objects.get(code="JP")]
    if setup.get("other_plan"):
        fields["plans"] = [Plan.objects.exclude(pk=plan.pk).first()]
    if setup.get("first_purchase_only"):
        fields["first_purchase_only"] = True
        paid_order(alice, plan)
    if "fixed_in" in setup:
        fields.update(kind=Promotion.Kind.FIXED, amounts={"EUR": "2.00"})
    if setup.get("used_by_others"):
        fields["max_uses"] = 2
    if setup.get("used_by_you") or setup.get("held_by_you"):
        fields["max_uses_per_customer"] = 1
    if code != "promotion_unknown":
        PromotionFactory(**fields)
    if setup.get("used_by_others"):
        paid_order(make_customer("carol"), plan)  # no code: takes no place
        buy(make_customer("dave"), plan, "TRAVEL")
        held = buy(make_customer("erin"), plan, "travel")
        assert held.promotion is not None
    if setup.get("used_by_you"):
        order = order_await_payment(order=buy(alice, plan, "TRAVEL"))
        order_mark_paid(order_id=order.pk, actor="test")
    if setup.get("held_by_you"):
        buy(alice, plan, "TRAVEL")

    refused = refusal(alice, plan, "travel")

    assert refused.code == code
    assert refused.status == 422
    assert refused.message.startswith(message)


def test_the_reason_is_given_in_the_customers_language(alice: User, plan: Plan) -> None:
    with translation.override("de"):
        refused = refusal(alice, plan, "NOPE")
    assert refused.code == "promotion_unknown"
    assert refused.message != "There is no such code: check its spelling."
    assert refused.message  # translated, not empty


def test_a_promotion_for_a_region_covers_the_plans_of_its_countries(alice: User, bob: User) -> None:
    country = DestinationFactory()
    region = DestinationFactory(kind=Destination.Kind.REGION, code="z-region")
    region.countries.add(country)
    in_region = PlanFactory(destination=country)
    outside = PlanFactory()
    PromotionFactory(code="REGION", destinations=[region])

    assert buy(alice, in_region, "region").discount_amount == Decimal("0.50")
    assert refusal(bob, outside, "region").code == "promotion_not_for_destination"


def test_a_plan_limited_code_applies_to_that_plan(alice: User, plan: Plan) -> None:
    PromotionFactory(code="FRANCE", plans=[plan])

    assert buy(alice, plan, "france").discount_amount == Decimal("1.30")


def test_a_first_purchase_code_applies_to_a_new_customer(alice: User, plan: Plan) -> None:
    PromotionFactory(code="WELCOME", first_purchase_only=True)

    assert buy(alice, plan, "welcome").discount_amount == Decimal("1.30")


def test_a_code_may_be_used_as_often_as_it_allows(alice: User, plan: Plan) -> None:
    PromotionFactory(code="TWICE", max_uses_per_customer=2)

    buy(alice, plan, "twice")
    buy(alice, plan, "twice")

    assert refusal(alice, plan, "twice").code == "promotion_held_by_you"


def test_the_best_automatic_promotion_applies_without_a_code(alice: User, plan: Plan) -> None:
    PromotionFactory(code="", name="Spring", percent=Decimal("10"))
    best = PromotionFactory(code="", name="Launch", percent=Decimal("20"))
    PromotionFactory(
        code="",
        name="Japan week",
        percent=Decimal("50"),
        destinations=[Destination.objects.get(code="JP")],
    )
    PromotionFactory(code="", name="Over", percent=Decimal("60"), is_active=False)

    order = buy(alice, plan)

    assert order.promotion == best
    assert (order.discount_amount, order.total) == (Decimal("2.60"), Decimal("10.40"))


def test_a_code_worth_more_than_the_automatic_promotion_wins_and_one_worth_less_does_not(
    alice: User, bob: User, plan: Plan
) -> None:
    automatic = PromotionFactory(code="", percent=Decimal("15"))
    big = PromotionFactory(code="BIG", percent=Decimal("25"))
    PromotionFactory(code="SMALL", percent=Decimal("5"))

    assert buy(alice, plan, "big").promotion == big
    assert buy(bob, plan, "small").promotion == automatic


def test_a_fixed_amount_never_makes_an_order_free(alice: User, plan: Plan) -> None:
    PromotionFactory(code="HUGE", kind=Promotion.Kind.FIXED, amounts={"USD": "50.00"})

    order = buy(alice, plan, "huge")

    assert (order.discount_amount, order.total) == (Decimal("12.99"), Decimal("0.01"))


def test_trying_codes_is_rate_limited(alice: User, plan: Plan, settings: object) -> None:
    settings.PROMOTION_CODE_ATTEMPTS = 3  # type: ignore[attr-defined]
    PromotionFactory(code="REAL")
    for guess in ("GUESS1", "GUESS2", "GUESS3"):
        assert refusal(alice, plan, guess).code == "promotion_unknown"

    with pytest.raises(RateLimited) as limited:
        buy(alice, plan, "REAL")  # even the right code, until the hour is over

    assert limited.value.status == 429 and limited.value.retry_after > 0
    assert not Order.objects.exists()
    # Another customer has their own count; buying without a code is not limited.
    assert buy(make_customer("carol"), plan, "real").discount_amount == Decimal("1.30")
    assert buy(alice, plan).discount_amount == Decimal("0")
