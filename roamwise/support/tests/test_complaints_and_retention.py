from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from roamwise.accounts.models import User
from roamwise.datamap.registry import data_map
from roamwise.support import services
from roamwise.testing.helpers import committed


@pytest.mark.commitment("RGT-08")
def test_complaints_page_shows_every_channel_and_the_supervisory_authority(
    client: Client, settings: object
) -> None:
    settings.PRIVACY_EMAIL = "complaints@shop.example"  # type: ignore[attr-defined]
    settings.PRIVACY_PHONE = "+33 1 23 45 67 89"  # type: ignore[attr-defined]
    settings.PRIVACY_ADDRESS = "Shop SAS, 5 rue Exemple, Paris"  # type: ignore[attr-defined]
    settings.SUPERVISORY_AUTHORITY_NAME = "CNIL"  # type: ignore[attr-defined]
    settings.SUPERVISORY_AUTHORITY_URL = "https://www.cnil.fr/fr/plaintes"  # type: ignore[attr-defined]

    page = client.get("/support/complaints/").content.decode()

    assert "complaints@shop.example" in page
    assert "+33 1 23 45 67 89" in page and 'href="tel:+33123456789"' in page
    assert "Shop SAS, 5 rue Exemple, Paris" in page
    assert '<a href="https://www.cnil.fr/fr/plaintes" rel="noopener">CNIL</a>' in page
    assert "right to complain to a data protection supervisory authority" in page
    assert "/support/new/?category=complaint" in page
    # Reachable from every page.
    assert 'href="/support/complaints/"' in client.get("/").content.decode()


@pytest.mark.commitment("SUP-02")
@pytest.mark.commitment("RET-05")
def test_support_records_and_chat_logs_are_declared_for_three_years() -> None:
    for model in ("support.Ticket", "support.TicketMessage", "support.TicketAttachment"):
        declaration = data_map.declarations[model.lower()]
        assert declaration.retention.period == timedelta(days=3 * 365), model
        assert declaration.retention.action == "delete"
        assert declaration.erasure.action == "delete"  # earlier on request (SUP-02)
        assert "user.content.support" in declaration.categories


@pytest.mark.commitment("SUP-02")
def test_a_customers_support_records_include_those_written_as_a_visitor(alice: User) -> None:
    own = committed(
        lambda: services.ticket_open(customer=alice, category="question", title="a", body="b")
    )
    as_visitor = committed(
        lambda: services.ticket_open_visitor(
            email="ALICE@example.com", category="question", title="c", body="d"
        )
    )
    stranger = committed(
        lambda: services.ticket_open_visitor(
            email="someone@example.com", category="question", title="e", body="f"
        )
    )

    rows = set(data_map.declarations["support.ticket"].rows_of(alice))
    messages = data_map.declarations["support.ticketmessage"].rows_of(alice)

    assert rows == {own, as_visitor}
    assert stranger not in rows
    assert messages.count() == 2


@pytest.mark.commitment("SUP-02")
def test_support_records_are_declared_for_quality_assurance_within_their_three_years(
    client: Client,
) -> None:
    for model in ("support.Ticket", "support.TicketMessage", "support.TicketAttachment"):
        declaration = data_map.declarations[model.lower()]
        # Quality review uses the same records, never for longer than support keeps them.
        assert declaration.purposes == ("support", "quality"), model
        assert declaration.retention.period == timedelta(days=3 * 365), model
        assert "quality assurance" in declaration.retention.describe()

    page = client.get("/privacy/").content.decode()

    row = page.split('id="purpose-quality"', 1)[1].split("</tr>", 1)[0]
    assert "Check and improve the quality of our support" in row
    assert "Support messages and attachments" in row


@pytest.mark.commitment("SUP-01")
@pytest.mark.commitment("RGT-08")
def test_the_hotline_and_its_hours_come_from_settings_wherever_the_policy_promises_them(
    client: Client, settings: object
) -> None:
    settings.SUPPORT_PHONE = "+33 1 98 76 54 32"  # type: ignore[attr-defined]
    settings.SUPPORT_HOURS = "lundi au vendredi, 8 h à 20 h"  # type: ignore[attr-defined]

    for path in ("/", "/support/new/", "/support/complaints/", "/privacy/"):
        page = client.get(path).content.decode()
        assert 'href="tel:+33198765432">+33 1 98 76 54 32</a>' in page, path
        assert "lundi au vendredi, 8 h à 20 h" in page, path
    for path in ("/support/new/", "/support/complaints/"):
        assert 'id="support-hotline"' in client.get(path).content.decode(), path
