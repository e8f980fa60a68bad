"""eSIMs in the API: the customer's own, their install details, lifecycle, top-ups."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, Router, Schema, Status
from ninja.security import django_auth

from roamwise.catalog import selectors as catalog
from roamwise.core.api_auth import authenticated_user, session_token_auth
from roamwise.core.schemas import Boolean, ErrorOut
from roamwise.orders.api import TEXT, BillingIn, OrderOut, billing_details, order_out
from roamwise.payments import services as payments

from . import errors, hooks, selectors
from .install import install_links
from .models import Bundle, Esim
from .services import lifecycle, topups

router = Router(tags=["esims"], auth=[session_token_auth, django_auth])
CHANGE_ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class InstallOut(Schema):
    smdp_address: str
    activation_code: str
    matching_id: str
    qr_payload: str
    qr_png_url: str
    ios_link: str
    android_code: str


class BundleOut(Schema):
    plan_id: uuid.UUID
    plan_name: str
    data_mb: int | None
    validity_days: int
    state: str
    used_bytes: int
    remaining_bytes: int | None = Field(..., description="Null: unlimited.")
    starts_at: str | None
    expires_at: str | None


class BalanceOut(Schema):
    total_bytes: int | None = Field(..., description="Null: unlimited.")
    used_bytes: int
    remaining_bytes: int | None = Field(..., description="Null: unlimited.")
    used_percent: int
    expires_at: str | None
    days_left: int | None = Field(..., description="Null until the first use starts the plan.")


class DayUsageOut(Schema):
    day: str
    bytes: int


class UsageOut(Schema):
    balance: BalanceOut
    daily: list[DayUsageOut]


class EventOut(Schema):
    at: str
    from_state: str
    to_state: str
    actor: str
    kind: str


class EsimOut(Schema):
    id: uuid.UUID
    order_id: uuid.UUID
    plan_name: str
    destination: str
    state: str
    state_label: str
    created_at: str
    installed_at: str | None
    install: InstallOut | None
    balance: BalanceOut
    bundles: list[BundleOut]
    history: list[EventOut]


class DeleteIn(Schema):
    confirm: Boolean


class TopUpIn(Schema):
    plan_id: uuid.UUID
    billing: BillingIn
    promotion_code: str = Field(
        "",
        max_length=40,
        pattern=TEXT,
        description="A promotion code the customer typed, in any case, applied as at an "
        "order's checkout: refused with 422 and a code saying why if it does not apply; "
        "tries are rate-limited (429). Without one, the best automatic promotion applies.",
    )


class TopUpOut(Schema):
    order: OrderOut
    payment_url: str


def _balance_out(esim: Esim) -> BalanceOut:
    balance = hooks.esim_balance(esim=esim)
    return BalanceOut(
        total_bytes=balance.total_bytes,
        used_bytes=balance.used_bytes,
        remaining_bytes=balance.remaining_bytes,
        used_percent=balance.used_percent,
        expires_at=balance.expires_at.isoformat() if balance.expires_at else None,
        days_left=balance.days_left,
    )


def _out(esim: Esim) -> EsimOut:
    install = None
    if esim.is_installable:
        links = install_links(esim)
        install = InstallOut(
            smdp_address=links.smdp_address,
            activation_code=links.activation_code,
            matching_id=links.matching_id,
            qr_payload=links.qr_payload,
            qr_png_url=settings.SITE_URL + reverse("esims:qr_png", args=[esim.public_id]),
            ios_link=links.ios_link,
            android_code=links.android_code,
        )
    plan = esim.order.plan
    return EsimOut(
        id=esim.public_id,
        order_id=esim.order.public_id,
        plan_name=plan.name,
        destination=plan.destination.name,
        state=esim.state,
        state_label=esim.get_state_display(),
        created_at=esim.created_at.isoformat(),
        installed_at=esim.installed_at.isoformat() if esim.installed_at else None,
        install=install,
        balance=_balance_out(esim),
        bundles=[
            BundleOut(
                plan_id=b.plan.public_id,
                plan_name=b.plan.name,
                data_mb=b.data_mb,
                validity_days=b.validity_days,
                state=b.state,
                used_bytes=b.used_bytes,
                remaining_bytes=b.remaining_bytes,
                starts_at=b.starts_at.isoformat() if b.starts_at else None,
                expires_at=b.expires_at.isoformat() if b.expires_at else None,
            )
            for b in esim.bundles.all()
            if b.state != Bundle.State.AWAITING_PAYMENT
        ],
        history=[
            EventOut(
                at=e.created_at.isoformat(),
                from_state=e.from_status,
                to_state=e.to_status,
                actor=e.actor,
                kind=e.kind,
            )
            for e in esim.events.all()
        ],
    )


def _own(request: HttpRequest, esim_id: uuid.UUID, *, in_full: bool = False) -> Esim:
    return selectors.esim_of(
        customer=authenticated_user(request), public_id=esim_id, in_full=in_full
    )


@router.get("/esims", response={200: list[EsimOut], 401: ErrorOut}, summary="Your eSIMs")
def list_esims(request: HttpRequest) -> list[EsimOut]:
    esims = selectors.esims_in_full_of(customer=authenticated_user(request))[:100]
    return [_out(e) for e in esims]


@router.get(
    "/esims/{esim_id}",
    response={200: EsimOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="One of your eSIMs, with its activation code once it is ready",
)
def get_esim(request: HttpRequest, esim_id: uuid.UUID) -> EsimOut:
    return _out(_own(request, esim_id, in_full=True))


@router.get(
    "/esims/{esim_id}/usage",
    response={200: UsageOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Remaining data, days left and data used per day (last 30 days, UTC)",
)
def get_esim_usage(request: HttpRequest, esim_id: uuid.UUID) -> UsageOut:
    esim = _own(request, esim_id)
    return UsageOut(
        balance=_balance_out(esim),
        daily=[
            DayUsageOut(day=day.isoformat(), bytes=used)
            for day, used in hooks.daily_usage(esim=esim)
        ],
    )


@router.post(
    "/esims/{esim_id}/suspend",
    response={200: EsimOut, 202: ErrorOut, 503: ErrorOut, **CHANGE_ERRORS},
    summary="Pause the eSIM's service",
)
def suspend_esim(request: HttpRequest, esim_id: uuid.UUID) -> EsimOut:
    return _out(lifecycle.esim_suspend(esim=_own(request, esim_id), actor="customer"))


@router.post(
    "/esims/{esim_id}/resume",
    response={200: EsimOut, 202: ErrorOut, 503: ErrorOut, **CHANGE_ERRORS},
    summary="Resume a paused eSIM",
)
def resume_esim(request: HttpRequest, esim_id: uuid.UUID) -> EsimOut:
    return _out(lifecycle.esim_resume(esim=_own(request, esim_id), actor="customer"))


@router.post(
    "/esims/{esim_id}/delete",
    response={200: EsimOut, 202: ErrorOut, 503: ErrorOut, **CHANGE_ERRORS},
    summary='Delete the eSIM for good (send {"confirm": true})',
)
def delete_esim(request: HttpRequest, esim_id: uuid.UUID, body: DeleteIn) -> EsimOut:
    esim = _own(request, esim_id)
    if not body.confirm:
        raise errors.EsimError("Send confirm: true to delete the eSIM.", code="not_confirmed")
    return _out(lifecycle.esim_delete(esim=esim, actor="customer"))


@router.post(
    "/esims/{esim_id}/topups",
    response={201: TopUpOut, 429: ErrorOut, 503: ErrorOut, **CHANGE_ERRORS},
    summary="Buy more data for this eSIM: returns the order and its payment page",
)
def top_up_esim(request: HttpRequest, esim_id: uuid.UUID, body: TopUpIn) -> Status[TopUpOut]:
    esim = _own(request, esim_id)
    billing = billing_details(body.billing)
    plan = catalog.plan_get(public_id=body.plan_id)
    order = topups.topup_create(
        customer=authenticated_user(request),
        esim=esim,
        plan=plan,
        billing=billing,
        promotion_code=body.promotion_code,
        client_ip=request.META.get("REMOTE_ADDR", ""),
    )
    return Status(
        201, TopUpOut(order=order_out(order), payment_url=payments.payment_start(order=order))
    )
