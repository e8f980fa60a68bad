"""Browser security policy derived from settings (SEC-01, ADR 0015).

Pure functions, so that ``settings.py`` can call them and tests can check the
derivation without reloading settings.
"""

from __future__ import annotations

from urllib.parse import urlsplit

# Where Stripe's hosted Checkout page lives; the shop's checkout form answers
# with a redirect there, and form-action governs redirects after a form post.
STRIPE_CHECKOUT_ORIGIN = "https://checkout.stripe.com"

# Browser features the shop never uses: off for our pages and anything they embed.
# WebAuthn (publickey-credentials-*) keeps its default of this origin only.
FEATURES_OFF = (
    "accelerometer",
    "ambient-light-sensor",
    "autoplay",
    "bluetooth",
    "browsing-topics",
    "camera",
    "display-capture",
    "geolocation",
    "gyroscope",
    "hid",
    "idle-detection",
    "magnetometer",
    "microphone",
    "midi",
    "payment",
    "screen-wake-lock",
    "serial",
    "usb",
    "xr-spatial-tracking",
)


def origin(url: str) -> str:
    """``scheme://host[:port]`` of ``url``; empty for a relative URL."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}".lower()


def payment_form_targets(*, site_url: str, payment_gateway: str, gateway_url: str) -> list[str]:
    """Origins besides our own that a form of ours may end up at.

    The checkout form posts to us and we answer with a redirect to the
    processor's hosted page; browsers check that redirect against
    ``form-action`` too, so the hosted page's origin must be listed when it is
    not ours.
    """
    hosted = STRIPE_CHECKOUT_ORIGIN if payment_gateway == "stripe" else origin(gateway_url)
    return [hosted] if hosted and hosted != origin(site_url) else []
