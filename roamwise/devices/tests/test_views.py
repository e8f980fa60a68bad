from __future__ import annotations

from django.test import Client
from django.urls import reverse

from roamwise.accounts.models import User
from roamwise.testing.lines import EID

URL = "/devices/compatibility/"

IMEI = "352099001761481"


def test_the_page_is_where_the_url_name_says() -> None:
    assert reverse("devices:compatibility") == URL


def test_get_shows_the_form_the_privacy_promise_and_where_to_find_the_eid(client: Client) -> None:
    response = client.get(URL)

    assert response.status_code == 200
    assert response.templates[0].name == "devices/compatibility.html"
    html = response.content.decode()
    assert '<form method="post" action="/devices/compatibility/">' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert '<datalist id="device-models">' in html
    assert '<option value="Apple iPhone 15 Pro">' in html
    assert "Nothing you type here is stored." in html
    assert "*#06#" in html
    assert "Settings &gt; General &gt; About" in html
    assert response.context["result"] is None


def test_identifier_inputs_stay_out_of_form_history(client: Client) -> None:
    html = client.get(URL).content.decode()

    assert (
        '<input type="text" name="eid" autocomplete="off" inputmode="numeric" '
        'spellcheck="false" maxlength="64" aria-describedby="id_eid_helptext" id="id_eid">'
    ) in html


def test_post_a_compatible_model(client: Client) -> None:
    response = client.post(URL, {"model": "iphone 15 pro", "eid": EID, "imei": IMEI})

    assert response.status_code == 200
    result = response.context["result"]
    assert result.compatible is True
    assert result.matched == "Apple iPhone 15 Pro"
    html = response.content.decode()
    assert "Yes: the Apple iPhone 15 Pro supports eSIM" in html
    assert "The EID's check digits are right: this device has an eSIM chip." in html
    assert "The IMEI's check digit is right." in html
    assert "no-store" in response["Cache-Control"]


def test_post_a_model_without_esim(client: Client) -> None:
    response = client.post(URL, {"model": "Galaxy S10"})

    assert "No: the Samsung Galaxy S10 cannot use a travel eSIM" in response.content.decode()


def test_post_an_unknown_model_offers_suggestions_as_buttons(client: Client) -> None:
    response = client.post(URL, {"model": "iphne 15 pro"})

    html = response.content.decode()
    assert "We don't know that model" in html
    assert '<input type="hidden" name="model" value="Apple iPhone 15 Pro">' in html


def test_post_an_eid_with_wrong_check_digits_shows_the_error(client: Client) -> None:
    response = client.post(URL, {"model": "iPhone 15", "eid": "89001012012341234012345678901234"})

    assert response.status_code == 200
    assert response.context["result"].eid_valid is False
    assert response.context["form"].errors == {
        "eid": ["An EID is 32 digits; this one fails its check digits."]
    }
    assert "An EID is 32 digits; this one fails its check digits." in response.content.decode()


def test_post_a_malformed_eid_shows_the_error_and_checks_nothing(client: Client) -> None:
    response = client.post(URL, {"model": "iPhone 15", "eid": "8904903212345"})

    assert response.context["result"] is None
    assert response.context["form"].errors == {
        "eid": [
            "An EID is 32 digits (spaces are fine); find it in Settings > About, or dial *#06#."
        ]
    }


def test_the_page_tidies_what_people_paste(client: Client) -> None:
    pasted_eid = "\u00a0" + EID[:16] + "\u2013" + EID[16:] + "\t"
    full_width_iphone = "\uff49\uff30\uff48\uff4f\uff4e\uff45"
    response = client.post(URL, {"model": full_width_iphone + " 15", "eid": pasted_eid})

    assert response.context["form"].errors == {}
    assert response.context["result"].matched == "Apple iPhone 15"
    assert response.context["result"].eid_valid is True


def test_post_without_a_model_shows_the_error(client: Client) -> None:
    response = client.post(URL, {"model": "  "})

    assert response.context["form"].errors == {
        "model": ["Type your device's model, for example iPhone 15 or Galaxy S24."]
    }


def test_post_a_bad_imei_shows_the_error(client: Client) -> None:
    response = client.post(URL, {"model": "iPhone 15", "imei": "352099001761482"})

    assert response.context["form"].errors == {
        "imei": ["An IMEI is 15 digits; this one fails its check digit."]
    }


def test_post_without_a_csrf_token_is_refused(alice: User) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)

    response = browser.post(URL, {"model": "iPhone 15", "eid": EID})

    assert response.status_code == 403
    assert b"Apple iPhone 15" not in response.content


def test_post_with_the_csrf_token_is_accepted() -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.get(URL)
    token = browser.cookies["csrftoken"].value

    response = browser.post(URL, {"model": "iPhone 15", "csrfmiddlewaretoken": token})

    assert response.status_code == 200
    assert response.context["result"].matched == "Apple iPhone 15"


def test_other_methods_are_not_allowed(client: Client) -> None:
    assert client.put(URL).status_code == 405
