"""Coarse location: the country of an IP address, offline (iptocc), never finer.

Callers decide whether they may ask at all; the address itself is never stored.
"""

from __future__ import annotations

import ipaddress

import iptocc
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    # The web server in front is trusted to set REMOTE_ADDR (gunicorn behind a
    # proxy: --forwarded-allow-ips); X-Forwarded-For from the client is not.
    return str(request.META.get("REMOTE_ADDR") or "")


def country_of(ip: str) -> str:
    """ISO 3166 alpha-2 code of the address's country, or "" when unknown."""
    try:
        ipaddress.ip_address(ip)
    except ValueError:
        return ""
    return iptocc.country_code(ip) or ""


def request_country(request: HttpRequest) -> str:
    return country_of(client_ip(request))
