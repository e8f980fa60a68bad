"""The site's side of the Sentry test, run in a process of its own.

    SENTRY_DSN=http://key@127.0.0.1:<port>/<project> python -m roamwise.kernel.tests.sentry_child

Settings start the SDK from ``SENTRY_DSN`` as in production; a request from
a customer's address, with their token, cookie and form, reaches a view that
logs their details and fails with them in its message. The SDK sends its
report to the DSN's host: the test's loopback stand-in for Sentry's ingest.
"""

from __future__ import annotations

import io
import logging
import os
import sys
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

logger = logging.getLogger("roamwise.checkout")

EMAIL = "alice.liddell@example.com"
IP = "203.0.113.7"
PHONE = "+447911123456"
CARD = "4242424242424242"
TOKEN = "sk_live_9f8e7d6c5b4a39281706f5e4d3c2b1a0"
SESSION = "q8w7e6r5t4y3u2i1o0p9a8s7d6f5g4h3"
PASSWORD = "correct horse battery staple 42"


@csrf_exempt  # as a webhook is: the form's body must reach the view
def boom(request: HttpRequest) -> HttpResponse:
    import sentry_sdk

    # What careless code could add: the SDK's own user context.
    sentry_sdk.set_user({"id": "42", "email": EMAIL, "ip_address": IP, "username": "alice"})
    sentry_sdk.set_extra("phone", PHONE)
    logger.warning("card %s declined for %s from %s", CARD, EMAIL, IP)
    raise ValueError(f"no account for {EMAIL} ({PHONE}) from {IP}")


def _urls() -> list:
    from roamwise.urls import urlpatterns

    return [path("boom/", boom), *urlpatterns]


URLCONF = "roamwise.kernel.tests.sentry_child"
# Read as the URLconf once Django is set up (not when run as the script).
urlpatterns = _urls() if __name__ == URLCONF else []


def main() -> None:
    import django

    os.environ["ROAMWISE_ROOT_URLCONF"] = URLCONF
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "roamwise.settings")
    django.setup()
    import sentry_sdk
    from django.core.wsgi import get_wsgi_application

    assert sentry_sdk.get_client().is_active(), "SENTRY_DSN did not start the SDK"
    # Through the WSGI application, as gunicorn calls it: the SDK's own
    # middleware around it records the request as it would in production.
    body = urlencode({"email": EMAIL, "password": PASSWORD, "card_number": CARD}).encode()
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/boom/",
        "QUERY_STRING": urlencode({"email": EMAIL, "token": TOKEN}),
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": IP,
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_HOST": "testserver",
        "HTTP_AUTHORIZATION": f"Bearer {TOKEN}",
        "HTTP_COOKIE": f"sessionid={SESSION}",
        "HTTP_X_FORWARDED_FOR": IP,
        "HTTP_USER_AGENT": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.url_scheme": "http",
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    statuses: list[str] = []
    answer = get_wsgi_application()(environ, lambda status, headers: statuses.append(status))
    b"".join(answer)
    assert statuses and statuses[0].startswith("500"), statuses
    sentry_sdk.flush(timeout=20)
    print("sent", flush=True)


if __name__ == "__main__":
    main()
