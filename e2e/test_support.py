from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.test import Client

from roamwise.support import services
from roamwise.support.models import Ticket
from roamwise.testing.people import make_customer


@pytest.mark.browser
@pytest.mark.commitment("SUP-01")
def test_a_customer_opens_a_ticket_and_sees_the_staff_reply_arrive(
    shop: str, page: object, screenshot: object
) -> None:
    customer = make_customer("asker")
    agent = make_customer("agent", is_staff=True)
    client = Client()
    client.force_login(customer)
    page.context.add_cookies(  # type: ignore[attr-defined]
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                "url": shop,
            }
        ]
    )

    page.goto(f"{shop}/")  # type: ignore[attr-defined]
    page.get_by_role("link", name="Support", exact=True).click()  # type: ignore[attr-defined]
    page.get_by_role("link", name="Write to support").click()  # type: ignore[attr-defined]
    page.get_by_label("Category").select_option("technical")  # type: ignore[attr-defined]
    page.get_by_label("Subject").fill("No data in Lisbon")  # type: ignore[attr-defined]
    page.get_by_label("Message").fill("The eSIM shows no service since I landed.")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Send").click()  # type: ignore[attr-defined]

    assert page.get_by_role("heading", level=1).inner_text() == "No data in Lisbon"  # type: ignore[attr-defined]
    ticket = Ticket.objects.get(customer=customer)
    assert ticket.reference in page.content()  # type: ignore[attr-defined]

    # Staff answer while the page stays open: it appears without a reload.
    services.message_post_staff(
        ticket=ticket, staff=agent, body="Turn on data roaming for the eSIM line."
    )
    reply = page.get_by_text("Turn on data roaming for the eSIM line.")  # type: ignore[attr-defined]
    reply.wait_for(timeout=15_000)
    assert reply.is_visible()
    assert page.locator(".message-staff").count() == 1  # type: ignore[attr-defined]
    screenshot("support-ticket")
