"""Partners are screened and bound to confidentiality before they receive
anything, with the dates on record and their own policies linked (SHR-07)."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from roamwise.accounts.models import User
from roamwise.catalog.models import Plan
from roamwise.governance.models import Disclosure, PartnerVetting
from roamwise.kernel.disclosures import disclosure_record, partner_vetting_record
from roamwise.kernel.errors import RecipientNotVetted
from roamwise.orders.models import Order
from roamwise.testing.shopping import BILLING_FORM, checkout, quote

pytestmark = pytest.mark.commitment("SHR-07")


def row(page: str, key: str) -> str:
    start = page.index(f'<tr id="recipient-{key}">')
    return page[start : page.index("</tr>", start)]


def test_a_recipient_without_vetting_on_record_receives_nothing(alice: User) -> None:
    PartnerVetting.objects.filter(recipient="smdp").delete()

    with pytest.raises(RecipientNotVetted, match="not yet cleared"):
        disclosure_record(
            subject_id=alice.public_id,
            recipient="smdp",
            categories=["user.device.sim"],
            purpose="service",
        )
    assert not Disclosure.objects.filter(recipient="smdp").exists()

    # Recorded: it may receive from now on.
    partner_vetting_record(
        recipient="smdp",
        privacy_policy_url="https://smdp.example/privacy",
        screened_on=timezone.localdate(),
        confidentiality_signed_on=timezone.localdate() - dt.timedelta(days=3),
    )
    disclosure_record(
        subject_id=alice.public_id, recipient="smdp", categories=[], purpose="service"
    )
    assert Disclosure.objects.filter(recipient="smdp").count() == 1


def test_a_checkout_stops_before_the_processor_when_it_is_not_vetted(
    shop: str, buyer: Client, plan: Plan
) -> None:
    PartnerVetting.objects.filter(recipient="payment").delete()

    response = buyer.post(f"/checkout/{plan.public_id}/", {**quote(plan), **BILLING_FORM})

    # The form is shown again with the reason; no payment was started.
    assert response.status_code == 200
    assert "not yet cleared to receive your data" in response.content.decode()
    assert not Order.objects.filter(payments__isnull=False).exists()

    vetting_again = PartnerVetting(
        recipient="payment",
        privacy_policy_url="https://payment.example/privacy",
        screened_on=dt.date(2026, 1, 5),
        confidentiality_signed_on=dt.date(2026, 1, 5),
    )
    vetting_again.save()
    assert checkout(buyer, plan)  # now it goes through


def test_dates_on_record_cannot_be_in_the_future(db: None) -> None:
    with pytest.raises(ValidationError, match="cannot be in the future"):
        partner_vetting_record(
            recipient="email",
            privacy_policy_url="https://mail.example/privacy",
            screened_on=timezone.localdate() + dt.timedelta(days=1),
            confidentiality_signed_on=timezone.localdate(),
        )


def test_the_recipients_list_links_each_policy_and_shows_the_dates(
    client: Client, db: None
) -> None:
    partner_vetting_record(
        recipient="esimaccess",
        privacy_policy_url="https://esimaccess.example/privacy-policy",
        screened_on=dt.date(2026, 3, 2),
        confidentiality_signed_on=dt.date(2026, 2, 20),
    )
    PartnerVetting.objects.filter(recipient="email").delete()

    page = client.get("/privacy/").content.decode()

    line = row(page, "esimaccess")
    assert 'href="https://esimaccess.example/privacy-policy"' in line
    assert "Screened 2 March 2026" in line and "signed 20 February 2026" in line
    assert "eSIM wholesaler eSIM Access" in line  # its name, not the code
    assert "Not yet on record: it receives nothing until it is" in row(page, "email")
    assert "Not applicable" in row(page, "authority")


def test_the_command_records_a_partner_and_refuses_bad_dates(db: None) -> None:
    PartnerVetting.objects.all().delete()

    call_command(
        "partner_vetting",
        "network",
        "--policy-url=https://network.example/privacy",
        "--screened-on=2026-04-01",
        "--signed-on=2026-03-15",
        stdout=StringIO(),
    )
    with pytest.raises(CommandError, match="not a date"):
        call_command("partner_vetting", "network", "--screened-on=soon", stdout=StringIO())
    call_command("partner_vetting", "--demo", stdout=StringIO())

    network = PartnerVetting.objects.get(recipient="network")
    assert network.screened_on == dt.date(2026, 4, 1)  # kept, not overwritten by the demo
    assert set(PartnerVetting.objects.values_list("recipient", flat=True)) == {
        "hosting",
        "email",
        "payment",
        "smdp",
        "network",
        "airalo",
        "esimaccess",
        "esimgo",
    }
