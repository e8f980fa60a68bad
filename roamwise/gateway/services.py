"""The simulated processor's behaviour: sessions, card outcomes, refunds,
disputes, and webhooks delivered as real processors deliver them: signed,
retried, sometimes twice, sometimes out of order."""

from __future__ import annotations

import random
import secrets
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from roamwise.core.tasks import enqueue_on_commit

from . import cards
from .models import GatewayRefund, GatewaySession, WebhookDelivery
from .tasks import deliver_webhook as deliver_webhook_task


class GatewayError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def session_create(
    *,
    amount: Decimal,
    currency: str,
    description: str,
    merchant_reference: str,
    success_url: str,
    cancel_url: str,
    webhook_url: str,
) -> GatewaySession:
    if amount <= 0:
        raise GatewayError("invalid_amount", "amount must be positive")
    return GatewaySession.objects.create(
        amount=amount,
        currency=currency.upper(),
        description=description[:200],
        merchant_reference=merchant_reference,
        success_url=success_url,
        cancel_url=cancel_url,
        webhook_url=webhook_url,
    )


def _event(session: GatewaySession, event_type: str, extra: dict[str, Any] | None = None) -> dict:
    return {
        "id": "evt_" + secrets.token_hex(12),
        "type": event_type,
        "created": int(timezone.now().timestamp()),
        "data": {
            "session": session.id,
            "merchant_reference": session.merchant_reference,
            "amount": str(session.amount),
            "currency": session.currency,
            "card": {
                "brand": session.card_brand,
                "last4": session.card_last4,
                "exp_month": session.card_exp_month,
                "exp_year": session.card_exp_year,
            },
            "failure_code": session.failure_code,
            **(extra or {}),
        },
    }


def _deliver(session: GatewaySession, events: list[dict]) -> None:
    """Queue events for delivery in the given order, sometimes twice."""
    deliveries = []
    for event in events:
        copies = 2 if random.random() < settings.GATEWAY_DUPLICATE_RATE else 1
        for _ in range(copies):
            deliveries.append(
                WebhookDelivery.objects.create(
                    event_id=event["id"], event_type=event["type"], session=session, payload=event
                )
            )
    for delivery in deliveries:
        enqueue_on_commit(deliver_webhook_task, delivery.pk)


def _succeed(session: GatewaySession) -> None:
    session.status = GatewaySession.Status.SUCCEEDED
    session.failure_code = ""
    session.save()
    processing = _event(session, "payment.processing")
    succeeded = _event(session, "payment.succeeded")
    # Out of order on purpose: "processing" arrives after "succeeded".
    _deliver(session, [succeeded, processing])


def card_submit(*, session_id: str, number: str, exp_month: int, exp_year: int, cvc: str) -> str:
    """Charge a card on the hosted page; returns the outcome code.

    Only the brand, last four digits and expiry are kept.
    """
    check = cards.check_card(number)
    if check.outcome == "invalid_number":
        raise GatewayError("invalid_number", "The card number is not valid.")
    now = timezone.now()
    if not 1 <= exp_month <= 12 or (exp_year, exp_month) < (now.year, now.month):
        raise GatewayError("expired_card", "The card has expired.")
    if not (cvc.isdigit() and len(cvc) in (3, 4)):
        raise GatewayError("invalid_cvc", "The security code is not valid.")
    with transaction.atomic():
        session = GatewaySession.objects.select_for_update().get(pk=session_id)
        if session.status not in (GatewaySession.Status.OPEN,):
            raise GatewayError("session_closed", "This payment is already complete.")
        session.card_brand, session.card_last4 = check.brand, check.last4
        session.card_exp_month, session.card_exp_year = exp_month, exp_year
        if check.outcome == cards.SUCCESS:
            _succeed(session)
        elif check.outcome == cards.CHALLENGE:
            session.status = GatewaySession.Status.CHALLENGED
            session.save()
        else:
            session.failure_code = check.outcome
            session.save()
            _deliver(session, [_event(session, "payment.failed")])
    return check.outcome


def challenge_complete(*, session_id: str, approved: bool) -> bool:
    with transaction.atomic():
        session = GatewaySession.objects.select_for_update().get(pk=session_id)
        if session.status != GatewaySession.Status.CHALLENGED:
            raise GatewayError("no_challenge", "There is no challenge to complete.")
        if approved:
            _succeed(session)
            return True
        session.status = GatewaySession.Status.OPEN
        session.failure_code = "authentication_failed"
        session.save()
        _deliver(session, [_event(session, "payment.failed")])
    return False


def refund_create(*, session_id: str, amount: Decimal, reference: str = "") -> dict:
    """Refund part or all of a payment. The same reference twice is one refund."""
    with transaction.atomic():
        session = GatewaySession.objects.select_for_update().filter(pk=session_id).first()
        if session is None:
            raise GatewayError("no_such_session", "No such payment.")
        if reference:
            earlier = session.refunds.filter(reference=reference).first()
            if earlier is not None:
                return {
                    "id": earlier.refund_id,
                    "status": "succeeded",
                    "amount": str(earlier.amount),
                }
        if session.status != GatewaySession.Status.SUCCEEDED:
            raise GatewayError("not_paid", "Only a succeeded payment can be refunded.")
        if amount <= 0 or amount > session.amount - session.refunded_amount:
            raise GatewayError("invalid_amount", "The refund exceeds what is left to refund.")
        GatewaySession.objects.filter(pk=session.pk).update(
            refunded_amount=F("refunded_amount") + amount
        )
        refund = GatewayRefund.objects.create(
            refund_id="re_" + secrets.token_hex(12),
            session=session,
            reference=reference,
            amount=amount,
        )
        _deliver(
            session,
            [
                _event(
                    session,
                    "refund.succeeded",
                    {
                        "refund": {
                            "id": refund.refund_id,
                            "amount": str(amount),
                            "reference": reference,
                        }
                    },
                )
            ],
        )
    return {"id": refund.refund_id, "status": "succeeded", "amount": str(amount)}


def dispute_open(*, session_id: str, reason: str = "fraudulent") -> dict:
    with transaction.atomic():
        session = GatewaySession.objects.filter(pk=session_id).first()
        if session is None or session.status != GatewaySession.Status.SUCCEEDED:
            raise GatewayError("not_paid", "Only a succeeded payment can be disputed.")
        dispute_id = "dp_" + secrets.token_hex(12)
        _deliver(
            session,
            [_event(session, "dispute.created", {"dispute": {"id": dispute_id, "reason": reason}})],
        )
    return {"id": dispute_id}
