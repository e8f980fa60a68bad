"""The shop's language (ADR 0026): it follows Accept-Language, the switcher in
every page changes it, a signed-in customer's choice is kept on the account and
comes back at sign-in, and their emails are written in it."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client, TestCase
from django.utils import timezone

from roamwise.accounts.models import User
from roamwise.notifications import services as notifications
from roamwise.testing.people import PASSWORD

pytestmark = [pytest.mark.django_db]


def page(client: Client, path: str = "/", **headers: str) -> str:
    response = client.get(path, headers=headers)
    assert response.status_code == 200
    return response.content.decode()


def switch(client: Client, language: str, next_path: str = "/orders/") -> None:
    response = client.post("/i18n/language/", {"language": language, "next": next_path})
    assert response.status_code == 302
    assert response["Location"] == next_path


@pytest.mark.commitment("AUT-01")
def test_accept_language_german_gives_german_pages(client: Client, catalog: None) -> None:
    html = page(client, "/", **{"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"})

    assert '<html lang="de">' in html
    assert "Wohin reisen Sie?" in html
    assert "Where are you travelling?" not in html
    # Destination names are CLDR's in German.
    assert "Frankreich" in html


def test_every_page_offers_the_switcher_in_each_language_named_in_itself(
    client: Client, catalog: None
) -> None:
    html = page(client, "/")

    assert 'action="/i18n/language/"' in html
    for code, name in settings.LANGUAGES:
        assert f'<option value="{code}" lang="{code}"' in html
        assert name in html


def test_the_switcher_sets_the_language_for_a_visitor(client: Client, catalog: None) -> None:
    switch(client, "fr", next_path="/")

    html = page(client, "/", **{"Accept-Language": "de"})  # the choice beats the header
    assert '<html lang="fr">' in html
    assert "Où voyagez-vous ?" in html
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"


def test_a_signed_in_customers_choice_is_kept_and_used_everywhere(
    client: Client, alice: User
) -> None:
    client.force_login(alice)
    switch(client, "fr")

    alice.refresh_from_db()
    assert alice.language == "fr"
    # Another browser, with another Accept-Language and no cookie: the account decides.
    other = Client()
    other.force_login(alice)
    html = page(other, "/orders/", **{"Accept-Language": "de"})
    assert '<html lang="fr">' in html
    assert "Vos commandes" in html


def test_an_unknown_language_is_not_kept(client: Client, alice: User) -> None:
    client.force_login(alice)
    client.post("/i18n/language/", {"language": "xx", "next": "/orders/"})

    alice.refresh_from_db()
    assert alice.language == ""


def test_sign_in_brings_back_the_customers_language(client: Client, alice: User) -> None:
    User.objects.filter(pk=alice.pk).update(language="de")

    response = client.post(
        "/accounts/login/",
        {"login": "alice", "password": PASSWORD},
        headers={"Accept-Language": "fr"},
        follow=True,
    )

    assert response.status_code == 200
    assert '<html lang="de">' in response.content.decode()


def test_the_first_sign_in_keeps_the_language_the_customer_reads(
    client: Client, alice: User
) -> None:
    assert alice.language == ""

    client.post(
        "/accounts/login/",
        {"login": "alice", "password": PASSWORD},
        headers={"Accept-Language": "fr-FR,fr;q=0.9"},
    )

    alice.refresh_from_db()
    assert alice.language == "fr"


def _privacy_email(user: User) -> None:
    with TestCase.captureOnCommitCallbacks(execute=True):
        notifications.notify(
            user=user,
            kind="privacy_request",
            template="rights/email/received",
            context={
                "reference": "PR-1234",
                "kind": "Access",
                "due_at": timezone.now(),
                "link": "https://roamwise.example/privacy/",
            },
        )


def test_an_email_to_a_customer_is_in_their_language(alice: User, jobs: object) -> None:
    User.objects.filter(pk=alice.pk).update(language="fr")
    alice.refresh_from_db()

    # Sent from an English request or job: the customer's language wins.
    _privacy_email(alice)
    jobs()  # type: ignore[operator]

    (message,) = mail.outbox
    assert message.subject == "[Roamwise] Nous avons reçu votre demande PR-1234"
    assert "Notre équipe confidentialité y répondra" in message.body
    assert "Our privacy team" not in message.body


def test_an_email_to_a_customer_without_a_language_is_in_the_default(
    alice: User, jobs: object
) -> None:
    _privacy_email(alice)
    jobs()  # type: ignore[operator]

    (message,) = mail.outbox
    assert message.subject == "[Roamwise] We received your request PR-1234"
