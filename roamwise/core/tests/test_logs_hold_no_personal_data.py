"""No log line and no metric holds a customer's personal data or a secret.

A customer signs up, buys an eSIM with a card through the processor's page,
gets it provisioned, writes to support and asks for their data, with every
logger of the shop at DEBUG going through the shop's own log filters. Then
everything written, and the metrics page, is searched for their email, phone,
name, billing address, IP address, card number, password and session key.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client

from roamwise.accounts.models import User
from roamwise.catalog.models import Plan
from roamwise.core.logcontext import RequestIdFilter
from roamwise.core.logredact import RedactSecrets
from roamwise.testing.helpers import code_in, committed
from roamwise.testing.people import PASSWORD, signup
from roamwise.testing.shopping import ADDRESS_FORM, buy

CUSTOMER_IP = "203.0.113.77"
CARD = "4242 4242 4242 4242"
TOKEN = "scrape-token-for-the-log-test"


class Everything(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s [%(request_id)s] %(message)s"))
        self.addFilter(RequestIdFilter())
        self.addFilter(RedactSecrets())

    def emit(self, record: logging.LogRecord) -> None:
        text = self.format(record)
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        self.lines.append(text)


@pytest.fixture
def logged() -> Iterator[Everything]:
    """Every record of every logger, as the shop's handlers would write it."""
    handler = Everything()
    loggers = [logging.getLogger(), *(logging.getLogger(n) for n in settings.LOGGING["loggers"])]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    # The SQL of every query is DEBUG: what the database is sent is not a log line
    # of the shop, and values are parameters, not text, there.
    logging.getLogger("django.db.backends").setLevel(logging.INFO)
    # Template variables that do not resolve: names of the templates' own context.
    logging.getLogger("django.template").setLevel(logging.INFO)
    yield handler
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(handler)
        logger.setLevel(level)
    logging.getLogger("django.db.backends").setLevel(logging.WARNING)
    logging.getLogger("django.template").setLevel(logging.NOTSET)


@pytest.mark.commitment("SEC-07")
def test_the_main_flows_log_nothing_personal_and_no_secret(
    shop: str, plan: Plan, logged: Everything, settings: Any
) -> None:
    settings.METRICS_TOKEN = TOKEN
    browser = Client(REMOTE_ADDR=CUSTOMER_IP)
    response = signup(
        browser, username="wanderer", email="wanderer.lost@example.org", phone="+44 7911 123789"
    )
    assert response.status_code == 302  # type: ignore[attr-defined]
    customer = User.objects.get(username="wanderer")
    customer.first_name, customer.last_name = "Philippa", "Fogg"
    customer.save(update_fields=["first_name", "last_name"])
    (welcome,) = [m for m in mail.outbox if m.to == [customer.email]]
    code = code_in(welcome.body)
    # The code typed in the same browser verifies the address and signs in.
    assert browser.post("/accounts/confirm-email/", {"code": code}).status_code == 302

    order = buy(browser, plan, lambda: _run_jobs())
    committed(
        lambda: browser.post(
            "/support/new/",
            {"category": "technical", "title": "No signal", "body": "Nothing in Lisbon."},
        )
    )
    committed(lambda: browser.post("/rights/export/"))
    _run_jobs()
    browser.post("/accounts/login/", {"login": "wanderer", "password": "wrong-password-1"})
    scraped = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()

    assert order.status in ("paid", "fulfilled")
    assert len(logged.lines) > 20  # the flows did log
    personal = {
        "email": customer.email,
        "phone": "7911 123789",
        "phone digits": "7911123789",
        "first name": "Philippa",
        "last name": "Fogg",
        "billing name": ADDRESS_FORM["name"],
        "address": ADDRESS_FORM["line1"],
        "IP address": CUSTOMER_IP,
        "card number": CARD.replace(" ", ""),
        "card as typed": CARD,
        "password": PASSWORD,
        "session key": browser.cookies[settings.SESSION_COOKIE_NAME].value,
    }
    text = "\n".join(logged.lines)
    for what, value in personal.items():
        assert value not in text, f"the logs hold the customer's {what}"
        assert value not in scraped, f"the metrics hold the customer's {what}"
    # Six digits may occur by chance inside longer numbers: only alone is it the code.
    assert not re.search(rf"(?<![0-9]){code}(?![0-9])", text), "the logs hold the email code"


def _run_jobs() -> int:
    from roamwise.testing.helpers import run_jobs

    return run_jobs()
