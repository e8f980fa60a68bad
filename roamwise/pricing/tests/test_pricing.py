"""Pricing rules: what they compute, the preview, the all-or-nothing
application with its history, overrides, and the back office (ADR 0034)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from roamwise.audit.roles import ADMINISTRATOR, SUPPORT_AGENT
from roamwise.catalog.models import CurrencyRate, Destination, Plan
from roamwise.catalog.services import plan_below_cost_set
from roamwise.core.money import Rounding
from roamwise.pricing import services
from roamwise.pricing.models import PriceChange, PriceOverride, PriceRun, PricingRule
from roamwise.testing.factories import (
    DestinationFactory,
    OrderFactory,
    PlanFactory,
    StaffFactory,
    source_costing,
)
from roamwise.testing.people import staff_client

pytestmark = pytest.mark.django_db
PREVIEW = "admin:pricing_pricingrule_preview"


@pytest.fixture(autouse=True)
def _one_vat_rate(settings: object) -> None:
    """Prices are checked against cost before VAT at the highest rate: 20% here."""
    settings.VAT_RATES = {"FR": Decimal("0.20")}  # type: ignore[attr-defined]
    settings.DEFAULT_VAT_RATE = Decimal(0)  # type: ignore[attr-defined]


def rule(**fields: object) -> PricingRule:
    values: dict[str, object] = {
        "name": "35% on cost",
        "scope": PricingRule.Scope.ALL,
        "markup_percent": Decimal(35),
        "rounding": Rounding.END_99,
        "currency": "USD",
    }
    values.update(fields)
    made = PricingRule(**values)
    made.full_clean()
    made.save()
    return made


def priced(cost: str, currency: str = "USD", **plan: object) -> Plan:
    made = PlanFactory(currency=currency, **plan)
    source_costing(made, cost, currency)
    return made


def new_prices(preview: services.Preview) -> dict[int, Decimal]:
    return {line.plan.pk: line.new.amount for line in preview.changes}  # type: ignore[union-attr]


def test_a_35_percent_markup_rounds_up_to_99() -> None:
    plan = priced("3.00")  # 3.00 x 1.35 = 4.05 -> 4.99
    rule()
    assert new_prices(services.price_preview()) == {plan.pk: Decimal("4.99")}


def test_whole_yen_and_no_99_for_a_currency_without_cents() -> None:
    plan = priced("333", "JPY", price=Decimal(1000))  # 333 x 1.35 = 449.55 -> 450
    rule(currency="JPY", rounding=Rounding.WHOLE)
    assert new_prices(services.price_preview()) == {plan.pk: Decimal(450)}
    with pytest.raises(ValidationError) as error:
        rule(name="yen .99", currency="JPY", rounding=Rounding.END_99)
    assert "JPY has no cents" in str(error.value)


def test_the_most_specific_rule_wins_then_the_priority() -> None:
    region = DestinationFactory(code="r-test", slug="r-test", kind=Destination.Kind.REGION)
    france, japan, spain = DestinationFactory(), DestinationFactory(), DestinationFactory()
    region.countries.add(spain)
    everywhere = priced("10.00", destination=japan)
    by_supplier = PlanFactory(destination=japan, name="other supplier")
    source_costing(by_supplier, "10.00", supplier="esimaccess")
    in_region = priced("10.00", destination=spain)
    one_place = priced("10.00", destination=france)
    rule(markup_percent=Decimal(10))
    rule(name="eSIM Access", scope="supplier", supplier="esimaccess", markup_percent=20)
    rule(name="region", scope="region", region=region, markup_percent=30)
    rule(name="France", scope="destination", destination=france, markup_percent=50)
    rule(
        name="France, first", scope="destination", destination=france, markup_percent=60, priority=5
    )

    preview = services.price_preview()

    assert new_prices(preview) == {
        everywhere.pk: Decimal("11.99"),
        by_supplier.pk: Decimal("12.99"),
        in_region.pk: Decimal("13.99"),
        one_place.pk: Decimal("16.99"),
    }
    assert {line.plan.pk: line.set_by for line in preview.changes}[one_place.pk] == "France, first"


def test_plan_type_rules_cover_unlimited_and_global_plans() -> None:
    world = DestinationFactory(code="w-test", slug="w-test", kind=Destination.Kind.GLOBAL)
    unlimited = priced("10.00", data_mb=None, fair_use_mb_per_day=1024)
    global_plan = priced("10.00", destination=world)
    rule(name="unlimited", scope="plan_type", plan_type="unlimited", markup_percent=100)
    rule(name="global", scope="plan_type", plan_type="global", markup_percent=50)
    assert new_prices(services.price_preview()) == {
        unlimited.pk: Decimal("20.99"),
        global_plan.pk: Decimal("15.99"),
    }


def test_the_floor_and_the_ceiling_bound_the_price() -> None:
    cheap, dear = priced("1.00"), priced("60.00")
    rule(floor=Decimal("3.99"), ceiling=Decimal("79.99"))
    preview = services.price_preview()
    assert new_prices(preview) == {cheap.pk: Decimal("3.99"), dear.pk: Decimal("79.99")}
    notes = {line.plan.pk: line.warnings for line in preview.changes}
    assert notes[cheap.pk] == ("Raised to the rule's floor.",)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"floor": Decimal(10), "ceiling": Decimal(5)}, "ceiling", "below the floor"),
        ({"markup_percent": Decimal(-10)}, "markup_percent", "below its wholesale cost"),
        ({"currency": "XYZ"}, "currency", "not an ISO 4217 currency"),
        ({"scope": "supplier"}, "supplier", "Choose the supplier"),
        ({"floor": Decimal("1.999")}, "floor", "no smaller unit"),
    ],
)
def test_a_bad_rule_is_refused_with_a_clear_message(
    fields: dict[str, object], field: str, message: str
) -> None:
    with pytest.raises(ValidationError) as error:
        rule(**fields)
    assert message in " ".join(error.value.message_dict[field])
    assert not PricingRule.objects.exists()


def test_the_preview_lists_exactly_the_prices_that_change() -> None:
    moves = priced("3.00")
    stays = priced("3.00", price=Decimal("4.99"))
    es2plus = PlanFactory()
    other_currency = priced("3.00", "EUR", price=Decimal("9.00"))  # no EUR rule
    off_sale = priced("3.00", is_active=False)
    rule()

    preview = services.price_preview()

    assert [line.plan.pk for line in preview.changes] == [moves.pk]
    line = preview.changes[0]
    assert (line.current.amount, line.new.amount, line.change) == (  # type: ignore[union-attr]
        Decimal("5.00"),
        Decimal("4.99"),
        Decimal("-0.01"),
    )
    assert preview.unchanged == 1
    skipped = {line.plan.pk: line.skipped for line in preview.skipped}
    assert skipped == {
        es2plus.pk: "No wholesale cost is known (supplied over ES2+).",
        other_currency.pk: "No active rule covers it.",
    }
    assert off_sale.pk not in {line.plan.pk for line in preview.lines}
    assert stays.pk not in skipped


def test_a_cost_in_another_currency_goes_through_the_rate_table() -> None:
    CurrencyRate.objects.create(currency="EUR", rate=Decimal("0.5"), rounding=Rounding.END_99)
    plan = priced("4.00", "EUR")  # 4 EUR = 8 USD; x 1.35 = 10.80 -> 10.99
    Plan.objects.filter(pk=plan.pk).update(currency="USD")
    rule()
    preview = services.price_preview()
    line = preview.changes[0]
    assert line.new.amount == Decimal("10.99")  # type: ignore[union-attr]
    assert any("own currency" in warning for warning in line.warnings)
    no_rate = priced("4.00", "GBP")
    Plan.objects.filter(pk=no_rate.pk).update(currency="USD")
    skipped = {line.plan.pk: line.skipped for line in services.price_preview().skipped}
    assert "cannot convert it to USD" in skipped[no_rate.pk]


def test_applying_writes_the_prices_and_their_history_with_who_and_why() -> None:
    staff = StaffFactory()
    first, second = priced("3.00"), priced("7.00")
    made = rule()
    preview = services.price_preview()

    run = services.prices_apply(
        actor=staff, reason="Spring prices", expected=preview.digest, plan_ids=None
    )

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.price, second.price) == (Decimal("4.99"), Decimal("9.99"))
    assert (run.actor, run.reason, run.kind) == (staff, "Spring prices", PriceRun.Kind.RULES)
    history = {
        change.plan_id: (change.old_amount, change.new_amount, change.rule_id, change.set_by)
        for change in PriceChange.objects.filter(run=run)
    }
    assert history == {
        first.pk: (Decimal("5.00"), Decimal("4.99"), made.pk, "35% on cost"),
        second.pk: (Decimal("5.00"), Decimal("9.99"), made.pk, "35% on cost"),
    }
    with pytest.raises(services.NothingToApply):
        services.prices_apply(actor=staff, reason="again")


def test_a_reason_is_required_and_a_stale_preview_is_refused() -> None:
    staff = StaffFactory()
    plan = priced("3.00")
    rule()
    with pytest.raises(services.ReasonRequired):
        services.prices_apply(actor=staff, reason="  ")
    digest = services.price_preview().digest
    PricingRule.objects.update(markup_percent=100)
    with pytest.raises(services.PreviewOutdated):
        services.prices_apply(actor=staff, reason="Spring", expected=digest)
    plan.refresh_from_db()
    assert plan.price == Decimal("5.00")
    assert not PriceRun.objects.exists()


def test_a_price_below_cost_stops_the_whole_application() -> None:
    staff = StaffFactory()
    fine = priced("3.00")
    thin = priced("10.00", name="thin")
    rule()  # 13.50 -> 13.99: 11.66 before 20% VAT, above 10.00
    rule(name="thin", scope="destination", destination=thin.destination, markup_percent=10)
    # 10 x 1.10 = 11.00 -> 11.99 is 9.99 before VAT: below the 10.00 cost

    preview = services.price_preview()
    assert [line.plan.pk for line in preview.refused] == [thin.pk]
    assert "before VAT at 20%" in preview.refused[0].refused
    with pytest.raises(services.PricesBelowCost) as error:
        services.prices_apply(actor=staff, reason="Spring")

    assert "no price was changed" in error.value.message and "thin" in error.value.message
    fine.refresh_from_db()
    assert fine.price == Decimal("5.00")
    assert not PriceRun.objects.exists() and not PriceChange.objects.exists()

    plan_below_cost_set(plan=thin, allowed=True, reason="Loss leader", actor=staff)
    preview = services.price_preview()
    assert not preview.refused
    warnings = {line.plan.pk: line.warnings for line in preview.changes}[thin.pk]
    assert any("allowed: Loss leader" in warning for warning in warnings)
    services.prices_apply(actor=staff, reason="Spring")
    thin.refresh_from_db()
    assert thin.price == Decimal("11.99")


def test_an_override_beats_every_rule_and_is_versioned() -> None:
    staff = StaffFactory()
    plan, other = priced("3.00"), priced("3.00")
    rule(name="France", scope="destination", destination=plan.destination, markup_percent=80)
    run = services.override_set(
        plan_ids=[plan.pk], amount=Decimal("6.50"), reason="Match a rival", actor=staff
    )
    plan.refresh_from_db()
    assert plan.price == Decimal("6.50")
    assert run.kind == PriceRun.Kind.OVERRIDE
    assert run.changes.get().set_by == "Override"
    assert other.pk not in {change.plan_id for change in run.changes.all()}
    # The rules leave it alone from now on.
    assert plan.pk not in new_prices(services.price_preview())

    services.override_set(plan_ids=[plan.pk], amount=None, reason="Rival gone", actor=staff)
    plan.refresh_from_db()
    assert plan.price == Decimal("5.99")  # the rule's again
    assert not PriceOverride.objects.exists()


def test_an_override_below_cost_or_across_currencies_is_refused_and_changes_nothing() -> None:
    staff = StaffFactory()
    plan = priced("3.00")
    yen = priced("300", "JPY", price=Decimal(700))
    with pytest.raises(services.PricesBelowCost):
        services.override_set(plan_ids=[plan.pk], amount=Decimal("3.10"), reason="x", actor=staff)
    with pytest.raises(services.OverrideInvalid) as error:
        services.override_set(
            plan_ids=[plan.pk, yen.pk], amount=Decimal(9), reason="x", actor=staff
        )
    assert "JPY, USD" in error.value.message
    with pytest.raises(services.OverrideInvalid):
        services.override_set(plan_ids=[yen.pk], amount=Decimal("700.5"), reason="x", actor=staff)
    assert not PriceOverride.objects.exists() and not PriceRun.objects.exists()
    plan.refresh_from_db()
    assert plan.price == Decimal("5.00")


def test_an_order_keeps_the_price_it_was_sold_at() -> None:
    plan = priced("3.00", price=Decimal("9.00"))
    order = OrderFactory(plan=plan)
    rule()
    services.prices_apply(actor=StaffFactory(), reason="Spring")
    order.refresh_from_db()
    plan.refresh_from_db()
    assert plan.price == Decimal("4.99")
    assert (order.total, order.currency) == (Decimal("9.00"), "USD")


def test_the_preview_page_applies_with_a_reason_for_an_administrator() -> None:
    client, member = staff_client(ADMINISTRATOR, "pricer")
    plan = priced("3.00")
    rule()
    url = reverse(PREVIEW)
    page = client.get(url)
    assert page.status_code == 200
    assert b"4.99" in page.content and b"Apply these prices" in page.content

    missing = client.post(url, {"expected": page.context["preview"].digest})
    assert missing.status_code == 200 and not PriceRun.objects.exists()

    done = client.post(
        url, {"expected": page.context["preview"].digest, "reason": "Spring"}, follow=True
    )
    assert done.status_code == 200
    assert done.redirect_chain[-1][0].endswith(f"?run__id__exact={PriceRun.objects.get().pk}")
    assert b"1 price changed." in done.content and b"Spring" in done.content
    plan.refresh_from_db()
    assert plan.price == Decimal("4.99")
    assert PriceRun.objects.get().actor == member
    assert client.get(reverse("admin:pricing_pricingrule_changelist")).status_code == 200
    assert client.get(reverse("admin:pricing_pricechange_changelist")).status_code == 200


def test_a_support_agent_can_neither_preview_nor_edit_rules_nor_reprice() -> None:
    client, _member = staff_client(SUPPORT_AGENT, "agent")
    priced("3.00")
    rule()
    assert client.get(reverse(PREVIEW)).status_code == 403
    assert client.post(reverse(PREVIEW), {"reason": "x", "expected": "y"}).status_code == 403
    assert client.get(reverse("admin:pricing_pricingrule_add")).status_code == 403
    assert not PriceRun.objects.exists()


def test_garbled_plan_numbers_are_a_400() -> None:
    client, _member = staff_client(None, "boss")
    assert client.get(reverse(PREVIEW), {"plans": "1,x"}).status_code == 400


def test_a_bad_rule_in_the_back_office_is_shown_not_saved() -> None:
    client, _member = staff_client(ADMINISTRATOR, "pricer")
    page = client.post(
        reverse("admin:pricing_pricingrule_add"),
        {
            "name": "bad",
            "is_active": "on",
            "scope": "all",
            "currency": "usd",
            "priority": "0",
            "markup_percent": "35",
            "markup_fixed": "0",
            "rounding": "end_99",
            "floor": "10",
            "ceiling": "5",
        },
    )
    assert page.status_code == 200
    assert "below the floor" in page.content.decode()
    assert not PricingRule.objects.exists()


def test_the_plan_list_bulk_actions() -> None:
    client, _member = staff_client(ADMINISTRATOR, "pricer")
    first, second = priced("3.00"), priced("3.00")
    rule()
    url = reverse("admin:catalog_plan_changelist")
    chosen = {"_selected_action": [first.pk, second.pk]}

    client.post(url, {**chosen, "action": "deactivate"})
    assert not Plan.objects.filter(is_active=True).exists()
    client.post(url, {**chosen, "action": "activate"})
    assert Plan.objects.filter(is_active=True).count() == 2

    redirect = client.post(url, {"_selected_action": [first.pk], "action": "apply_rules"})
    assert redirect.status_code == 302
    preview = client.get(redirect["Location"])
    assert [line.plan.pk for line in preview.context["preview"].changes] == [first.pk]
    client.post(
        redirect["Location"],
        {
            "plans": str(first.pk),
            "reason": "Only this one",
            "expected": preview.context["preview"].digest,
        },
    )
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.price, second.price) == (Decimal("4.99"), Decimal("5.00"))

    form = client.post(url, {"_selected_action": [second.pk], "action": "set_override"})
    assert form.status_code == 200 and b"Save the override" in form.content
    client.post(
        url,
        {
            "_selected_action": [second.pk],
            "action": "set_override",
            "amount": "7.49",
            "reason": "Launch",
            "confirm": "1",
        },
    )
    second.refresh_from_db()
    assert second.price == Decimal("7.49")
    assert PriceOverride.objects.get().reason == "Launch"


def test_a_support_agent_has_no_pricing_actions_in_the_plan_list() -> None:
    client, _member = staff_client(SUPPORT_AGENT, "agent")
    plan = priced("3.00")
    rule()
    url = reverse("admin:catalog_plan_changelist")
    page = client.get(url)
    assert page.status_code == 200
    assert b"apply_rules" not in page.content and b"set_override" not in page.content
    client.post(url, {"_selected_action": [plan.pk], "action": "set_override", "amount": "1"})
    plan.refresh_from_db()
    assert plan.price == Decimal("5.00") and plan.is_active


def plan_page(client: Client, plan: Plan) -> dict[str, Any]:
    """What the plan's page in the back office posts back unchanged."""
    page = client.get(reverse("admin:catalog_plan_change", args=[plan.pk]))
    assert page.status_code == 200

    def fields(form: Any, prefix: str = "") -> dict[str, Any]:
        data: dict[str, Any] = {}
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            if value is True:
                data[prefix + name] = "on"
            elif isinstance(value, list | tuple):
                data[prefix + name] = [str(v) for v in value]
            else:
                data[prefix + name] = str(value)
        return data

    data = fields(page.context["adminform"].form)
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update(fields(formset.management_form, f"{formset.prefix}-"))
        for number, form in enumerate(formset.forms):
            data.update(fields(form, f"{formset.prefix}-{number}-"))
    return data


def test_a_price_typed_on_the_plan_page_is_a_price_run_with_who_and_why() -> None:
    client, member = staff_client(ADMINISTRATOR, "pricer")
    CurrencyRate.objects.update_or_create(
        currency="EUR", defaults={"rate": Decimal("0.90"), "rounding": Rounding.END_99}
    )
    plan = priced("3.00", price=Decimal("5.00"))
    order = OrderFactory(plan=plan)
    url = reverse("admin:catalog_plan_change", args=[plan.pk])
    data = plan_page(client, plan)

    # No reason: nothing saved, and the page says why.
    refused = client.post(url, {**data, "price": "6.49"})
    assert refused.status_code == 200
    assert "Give the reason" in str(refused.context["adminform"].form.errors)
    # Below its cost (3.00 before VAT at 20% needs 3.60): refused as a run would be.
    below = client.post(url, {**data, "price": "3.50", "price_reason": "Clearance"})
    assert "Below its cost" in str(below.context["adminform"].form.errors)
    # Unchanged: no run.
    assert client.post(url, data).status_code == 302
    assert not PriceRun.objects.exists()

    saved = client.post(url, {**data, "price": "6.49", "price_reason": "Match a competitor"})
    assert saved.status_code == 302
    run = PriceRun.objects.get()
    assert (run.kind, run.reason, run.actor) == (
        PriceRun.Kind.TYPED,
        "Match a competitor",
        member,
    )
    change = run.changes.get()
    assert (change.plan, change.currency, change.old_amount, change.new_amount) == (
        plan,
        "USD",
        Decimal("5.00"),
        Decimal("6.49"),
    )
    assert change.set_by == "Typed on the plan's page"
    # The order keeps the price it was sold at.
    order.refresh_from_db()
    assert (order.total, order.price_before_discount) == (Decimal("5.00"), Decimal("5.00"))

    # A price set for a currency on the same page (an administrator of the
    # whole site's): a run too, from the rate table's price (6.49 x 0.90 =
    # 5.84 -> 5.99) to the one typed.
    client, _boss = staff_client(None, "boss")
    data = plan_page(client, plan)
    prices = {**data, "prices-TOTAL_FORMS": "1", "prices-0-currency": "EUR"}
    prices.update({"prices-0-amount": "5.49", "prices-0-plan": str(plan.pk)})
    without = client.post(url, prices)
    assert without.status_code == 200 and PriceRun.objects.count() == 1
    assert client.post(url, {**prices, "price_reason": "Euro launch"}).status_code == 302
    euro = PriceChange.objects.get(run__reason="Euro launch")
    assert (euro.currency, euro.old_amount, euro.new_amount) == (
        "EUR",
        Decimal("5.99"),
        Decimal("5.49"),
    )
