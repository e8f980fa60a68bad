"""Answers that leave as a download: the one-time link sent to a verified
address, checked and consumed once."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext

from roamwise.accounts.models import User

from ..errors import (
    InvalidRequest,
    LinkInvalid,
)
from ..models import (
    DataRequest,
    RequestStatus,
)
from .common import (
    IMMEDIATE_KINDS,
    _event,
    _hash,
    _now,
    _site,
    _tell_requester,
    _transition,
    _verified_account,
)


def _issue_download(request: DataRequest, *, now: datetime) -> str:
    token = secrets.token_urlsafe(32)
    DataRequest.objects.filter(pk=request.pk).update(
        download_token_hash=_hash(token),
        download_expires_at=now + timedelta(hours=settings.RIGHTS_DOWNLOAD_HOURS),
        downloaded_at=None,
        updated_at=now,
    )
    return _site(reverse("rights:download", args=[token]))


def download_send(
    request: DataRequest, *, actor: User | None, now: datetime, to: str | None = None
) -> None:
    """Complete an access or export request with a one-time link, emailed to
    the account's verified address (``to``, or the request's)."""
    link = _issue_download(request, now=now)
    _transition(
        request,
        RequestStatus.COMPLETED,
        actor=actor,
        now=now,
        note="one-time download link sent to the account's verified address",
        outcome={"delivered": "one-time link"},
    )
    _tell_requester(
        request,
        "rights/email/download",
        {"link": link, "hours": settings.RIGHTS_DOWNLOAD_HOURS},
        to=to,
    )


def download_check(*, token: str, now: datetime | None = None) -> DataRequest:
    request = DataRequest.objects.filter(download_token_hash=_hash(token)).first()
    moment = _now(now)
    if (
        request is None
        or not token
        or request.downloaded_at is not None
        or request.download_expires_at is None
        or request.download_expires_at <= moment
        or request.user_id is None
    ):
        raise LinkInvalid(
            gettext("This download link is not valid, has expired or was used already.")
        )
    return request


def download_consume(*, token: str, now: datetime | None = None) -> DataRequest:
    """A one-time link works once: the first download marks it used."""
    moment = _now(now)
    request = download_check(token=token, now=moment)
    used = DataRequest.objects.filter(pk=request.pk, downloaded_at__isnull=True).update(
        downloaded_at=moment, updated_at=moment
    )
    if used != 1:
        raise LinkInvalid(gettext("This download link was used already."))
    with transaction.atomic():
        _event(request, actor=None, now=moment, note="downloaded with the one-time link")
    return request


def request_send_download(
    *, request: DataRequest, actor: User, now: datetime | None = None
) -> DataRequest:
    """Staff answer an access or export request with a one-time link, only to
    an address that is a verified address of the matched account (RGT-09)."""
    if request.kind not in IMMEDIATE_KINDS:
        raise InvalidRequest(
            gettext("Only access and export requests are answered with a download.")
        )
    account = request.user
    address = request.contact_email or (account.email if account else "")
    if account is None or _verified_account(address) != account:
        raise InvalidRequest(
            gettext(
                "The requester's address is not a verified address of the account: "
                "no data can be sent to it."
            )
        )
    moment = _now(now)
    with transaction.atomic():
        download_send(request, actor=actor, now=moment, to=address)
    return request
