"""Every message the shop sends goes through ``notify`` (or ``notify_address``
for someone without an account): kinds, consent and preferences are decided
here, the message is rendered and recorded, and its email is queued in the
outbox and sent by a job after commit, retried on failure.

    notify(user=alice, kind="low_data", template="usage/email/low_data",
           context={"esim": esim, "percent": 80, "link": url})
"""

from __future__ import annotations

import base64
import logging
import smtplib
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from email.utils import make_msgid
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from roamwise.core.tasks import enqueue_on_commit

from . import selectors
from .errors import CampaignNotAllowed, CampaignNotReady, InvalidUnsubscribeLink, PreferenceLocked
from .kinds import KINDS, Channel, Kind, kind_get
from .models import (
    Campaign,
    CampaignEvent,
    CampaignMessage,
    CampaignRecipient,
    Notification,
    OutboundEmail,
    Preference,
)
from .rendering import Rendered, render_message
from .tasks import campaign_send_batch as campaign_send_batch_task
from .tasks import deliver_email as deliver_email_task
from .tokens import unsubscribe_token, unsubscribe_token_read

if TYPE_CHECKING:
    from roamwise.accounts.models import User

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
# Mail to no one in particular (staff alerts, allauth's "no such account"
# emails) is sealed with one shared key rather than a new key per message.
UNATTACHED_SUBJECT = uuid.uuid5(uuid.NAMESPACE_URL, "roamwise:notifications:unattached")
ERROR_LENGTH = 300


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mimetype: str = "application/octet-stream"


def _site(path: str) -> str:
    return settings.SITE_URL + path


def notify(
    *,
    user: User,
    kind: str,
    template: str,
    context: dict[str, Any],
    attachments: Sequence[Attachment] = (),
    to: str | None = None,
    reply_to: str = "",
    campaign_public_id: uuid.UUID | None = None,
) -> Notification | None:
    """Send one message to a customer, on the channels its kind and their
    choices allow. Returns None when nothing goes out: a locked account and a
    kind that does not reach one, a marketing message without consent, or
    every channel turned off.

    ``to`` overrides the address (allauth verifying a second address);
    ``context["link"]`` is where the in-site notification points;
    ``campaign_public_id`` names the campaign in the unsubscribe link, so an
    unsubscribe through it is counted for that campaign.
    """
    spec = kind_get(kind)
    if not spec.reaches_locked_accounts and user.is_locked():
        return None
    if spec.is_marketing and not selectors.marketing_allowed(user=user):
        return None
    channels = selectors.channels_for(user=user, kind=spec)
    address = to if to is not None else user.email
    if not address and Channel.EMAIL in channels:
        channels.remove(Channel.EMAIL)
    if not channels:
        return None
    context = {**context, "preferences_url": _site(reverse("notifications:preferences"))}
    if spec.is_marketing:
        token = unsubscribe_token(
            user_public_id=user.public_id, kind=spec.name, campaign_public_id=campaign_public_id
        )
        context["unsubscribe_url"] = _site(reverse("notifications:unsubscribe", args=[token]))
    # Every message to a customer is written in their language, whatever the
    # language of the request or job that sends it (ADR 0026).
    with translation.override(selectors.recipient_language(user=user)):
        rendered = render_message(template, context)
    return _record(
        user=user,
        key_subject=user.public_id,
        spec=spec,
        template=template,
        rendered=rendered,
        link=str(context.get("link", "")),
        in_site=Channel.IN_SITE in channels,
        address=address if Channel.EMAIL in channels else "",
        attachments=attachments,
        reply_to=reply_to,
        unsubscribe_url=context.get("unsubscribe_url", ""),
    )


def notify_address(
    *,
    to: str,
    kind: str,
    template: str,
    context: dict[str, Any],
    key_subject: uuid.UUID | None = None,
    attachments: Sequence[Attachment] = (),
    reply_to: str = "",
) -> Notification:
    """An email to someone without an account here (a visitor who wrote to
    support, a parent asked for consent, staff). Service kinds only.

    ``key_subject`` is the data key the message is sealed with: the record
    the person belongs to (a ticket, a child's account); a shared one if none.
    """
    spec = kind_get(kind)
    if spec.is_marketing:
        raise ValueError("marketing goes to customers who opted in, through notify()")
    rendered = render_message(template, context)
    return _record(
        user=None,
        key_subject=key_subject or UNATTACHED_SUBJECT,
        spec=spec,
        template=template,
        rendered=rendered,
        link=str(context.get("link", "")),
        in_site=False,
        address=to,
        attachments=attachments,
        reply_to=reply_to,
        unsubscribe_url="",
    )


def _record(
    *,
    user: User | None,
    key_subject: uuid.UUID,
    spec: Kind,
    template: str,
    rendered: Rendered,
    link: str,
    in_site: bool,
    address: str,
    attachments: Sequence[Attachment],
    reply_to: str,
    unsubscribe_url: str,
) -> Notification:
    with transaction.atomic():
        notification = Notification.objects.create(
            user=user,
            key_subject=key_subject,
            kind=spec.name,
            template=template,
            title=rendered.title,
            body=rendered.site_text,
            link=link,
            in_site=in_site,
        )
        if address:
            headers: dict[str, str] = {}
            if reply_to:
                headers["Reply-To"] = reply_to
            if unsubscribe_url:
                # RFC 8058: a POST to this address unsubscribes, no login, no page.
                headers["List-Unsubscribe"] = f"<{unsubscribe_url}>"
                headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
            files = [
                {
                    "filename": a.filename,
                    "mimetype": a.mimetype,
                    "content": base64.b64encode(a.content).decode(),
                }
                for a in attachments
            ]
            email = OutboundEmail.objects.create(
                notification=notification,
                kind=spec.name,
                template=template,
                key_subject=key_subject,
                recipient=address,
                subject_line=rendered.subject,
                text_body=rendered.text,
                html_body=rendered.html,
                headers=headers,
                attachments=files,
                attachment_count=len(files),
                size_bytes=len(rendered.text)
                + len(rendered.html)
                + sum(len(a.content) for a in attachments),
                message_id=make_msgid(domain=_mail_domain()),
                next_attempt_at=timezone.now(),
            )
            enqueue_on_commit(deliver_email_task, email.pk)
    return notification


def _mail_domain() -> str:
    sender = settings.DEFAULT_FROM_EMAIL
    return sender.rsplit("@", 1)[-1].strip(" >") or "localhost"


# --- Delivery ---------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    outcome: str  # "sent", "retry", "failed", "nothing to do"
    retry_in: int | None = None


def _permanent(exc: Exception) -> bool:
    """5xx answers will not change on a retry; 4xx and lost connections may."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return False


def _backoff(attempts: int) -> int:
    return int(min(30 * 2 ** (attempts - 1), 3600))


def _message(email: OutboundEmail) -> EmailMultiAlternatives:
    headers = dict(email.headers or {})
    reply_to = headers.pop("Reply-To", "")
    headers["Message-ID"] = email.message_id
    message = EmailMultiAlternatives(
        subject=email.subject_line,
        body=email.text_body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.recipient],
        reply_to=[reply_to] if reply_to else None,
        headers=headers,
    )
    message.attach_alternative(email.html_body, "text/html")
    for item in email.attachments or []:
        message.attach(item["filename"], base64.b64decode(item["content"]), item["mimetype"])
    return message


def email_deliver(*, email_id: int) -> Delivery:
    """Send one queued email. Exactly one worker holds it at a time (a lease);
    a failure is recorded on the row and retried with backoff until
    ``NOTIFICATIONS_EMAIL_MAX_ATTEMPTS``; a sent email keeps metadata only."""
    now = timezone.now()
    claimed = (
        OutboundEmail.objects.filter(pk=email_id, status=OutboundEmail.Status.QUEUED)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(lease_until=now + LEASE)
    )
    if claimed != 1:
        return Delivery("nothing to do")
    email = OutboundEmail.objects.get(pk=email_id)
    try:
        _message(email).send()
    except (smtplib.SMTPException, OSError) as exc:
        attempts = email.attempts + 1
        error = f"{type(exc).__name__}: {exc}"[:ERROR_LENGTH]
        give_up = _permanent(exc) or attempts >= settings.NOTIFICATIONS_EMAIL_MAX_ATTEMPTS
        delay = None if give_up else _backoff(attempts)
        OutboundEmail.objects.filter(pk=email_id).update(
            attempts=attempts,
            last_error=error,
            lease_until=None,
            status=OutboundEmail.Status.FAILED if give_up else OutboundEmail.Status.QUEUED,
            next_attempt_at=None if delay is None else now + timedelta(seconds=delay),
            updated_at=timezone.now(),
        )
        log.warning("email %s attempt %s failed: %s", email.public_id, attempts, error)
        return Delivery("failed" if give_up else "retry", delay)
    sent_at = timezone.now()
    # Metadata only from here on: who it was for lives in the notification.
    OutboundEmail.objects.filter(pk=email_id).update(
        status=OutboundEmail.Status.SENT,
        attempts=email.attempts + 1,
        sent_at=sent_at,
        lease_until=None,
        next_attempt_at=None,
        last_error="",
        recipient="",
        subject_line="",
        text_body="",
        html_body="",
        headers=None,
        attachments=None,
        updated_at=sent_at,
    )
    return Delivery("sent")


def outbox_due(*, now: Any = None) -> list[int]:
    """Queued emails whose next try is due and that no worker holds (lost jobs)."""
    moment = now or timezone.now()
    return list(
        OutboundEmail.objects.filter(
            status=OutboundEmail.Status.QUEUED, next_attempt_at__lte=moment
        )
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=moment))
        .order_by("pk")
        .values_list("pk", flat=True)[:500]
    )


def email_retry(*, email_id: int) -> bool:
    """Staff send a failed email again (from the outbox viewer)."""
    updated = OutboundEmail.objects.filter(pk=email_id, status=OutboundEmail.Status.FAILED).update(
        status=OutboundEmail.Status.QUEUED,
        next_attempt_at=timezone.now(),
        lease_until=None,
        updated_at=timezone.now(),
    )
    if updated:
        enqueue_on_commit(deliver_email_task, email_id)
    return bool(updated)


# --- In the site -------------------------------------------------------------


def notifications_mark_read(*, user: User, public_ids: Iterable[uuid.UUID] | None = None) -> int:
    rows = Notification.objects.filter(user=user, in_site=True, read_at__isnull=True)
    if public_ids is not None:
        rows = rows.filter(public_id__in=list(public_ids))
    return rows.update(read_at=timezone.now(), updated_at=timezone.now())


# --- Preferences and unsubscribe ---------------------------------------------


def preference_set(*, user: User, kind: str, channel: str, enabled: bool) -> Preference:
    spec = kind_get(kind)
    channel_value = Channel(channel)
    if channel_value not in spec.channels:
        raise PreferenceLocked(
            gettext("%(label)s is not sent by %(channel)s.")
            % {"label": spec.label, "channel": channel}
        )
    if not spec.can_turn_off(channel_value) and not enabled:
        raise PreferenceLocked(
            gettext("%(label)s: service emails always go out (they are about your account).")
            % {"label": spec.label}
        )
    preference, _ = Preference.objects.update_or_create(
        user=user, kind=spec.name, channel=channel_value.value, defaults={"enabled": enabled}
    )
    return preference


def preferences_save(*, user: User, enabled: set[tuple[str, str]]) -> None:
    """Save the whole preferences form: every switchable cell, on or off."""
    with transaction.atomic():
        for spec in KINDS.values():
            for channel in spec.channels:
                if spec.can_turn_off(channel):
                    preference_set(
                        user=user,
                        kind=spec.name,
                        channel=channel.value,
                        enabled=(spec.name, channel.value) in enabled,
                    )


def marketing_withdraw(*, user: User, source: str) -> None:
    """Withdraw consent to marketing (RGT-05): no promotion of any kind from now on."""
    from roamwise.consent.services import consent_record

    consent_record(purpose="marketing", granted=False, source=source, user=user)


def marketing_grant(*, user: User, source: str) -> None:
    from roamwise.consent.services import consent_record

    consent_record(purpose="marketing", granted=True, source=source, user=user)


def unsubscribe(*, token: str) -> User:
    """One-click unsubscribe (RFC 8058, USE-02): the signed token is the
    authority, no login needed. Withdraws marketing consent and turns the
    message's kind off on every channel."""
    data = unsubscribe_token_read(token)
    user = get_user_model().objects.filter(public_id=data.user_public_id).first() if data else None
    if data is None or user is None:
        raise InvalidUnsubscribeLink(gettext("This unsubscribe link is not valid."))
    with transaction.atomic():
        marketing_withdraw(user=user, source="unsubscribe")
        spec = KINDS.get(data.kind)
        if spec is not None and spec.is_marketing:
            for channel in spec.channels:
                preference_set(user=user, kind=spec.name, channel=channel.value, enabled=False)
        if data.campaign_public_id is not None:
            campaign_unsubscribe_count(campaign_public_id=data.campaign_public_id, user=user)
    return user


# --- Campaigns (USE-02) -------------------------------------------------------

CAMPAIGN_TEMPLATE = selectors.CAMPAIGN_TEMPLATE
CAMPAIGN_BATCH_SIZE = 200


def campaign_schedule(*, campaign_id: int, actor: User) -> Campaign:
    """Start sending a draft campaign: its batches go out in a background job.
    Who may receive it is decided per person when their batch is sent."""
    if not actor.has_perm("notifications.send_campaign"):
        raise CampaignNotAllowed(gettext("You may not send campaigns."))
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
        if campaign.status != Campaign.Status.DRAFT:
            raise CampaignNotReady(gettext("This campaign has already been sent."))
        if not campaign.messages.filter(language=campaign.fallback_language).exists():
            raise CampaignNotReady(
                gettext("Write the message in the fallback language before sending.")
            )
        now = timezone.now()
        Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.DRAFT).update(
            status=Campaign.Status.SENDING, scheduled_at=now, updated_at=now
        )
        CampaignEvent.objects.create(
            campaign=campaign,
            actor=actor,
            from_status=Campaign.Status.DRAFT,
            to_status=Campaign.Status.SENDING,
            note="sending started",
        )
        enqueue_on_commit(campaign_send_batch_task, campaign.pk, 0)
    campaign.refresh_from_db()
    return campaign


@dataclass(frozen=True)
class CampaignBatch:
    sent: int
    # The cursor of the next batch; None when this was the last one.
    next_after: int | None


def campaign_batch_send(
    *, campaign_id: int, after_user_id: int, size: int = CAMPAIGN_BATCH_SIZE
) -> CampaignBatch:
    """Send one batch: the next ``size`` candidates after ``after_user_id``.

    Safe to run twice: each person's ``CampaignRecipient`` row is written in
    the transaction that queues their email, and its unique constraint turns
    a second attempt into a skip. Consent is asked again here, for each
    person, so a withdrawal after the campaign was scheduled is honoured.
    """
    campaign = Campaign.objects.filter(pk=campaign_id, status=Campaign.Status.SENDING).first()
    if campaign is None:
        return CampaignBatch(sent=0, next_after=None)
    # A sign of life for campaigns_resume: this campaign's chain of batches is running.
    Campaign.objects.filter(pk=campaign.pk).update(updated_at=timezone.now())
    messages = {m.language: m for m in campaign.messages.all()}
    candidates = list(
        selectors.campaign_candidates().filter(pk__gt=after_user_id).order_by("pk")[:size]
    )
    sent = sum(
        _campaign_send_to(campaign=campaign, messages=messages, user=user) for user in candidates
    )
    if len(candidates) < size:
        _campaign_finish(campaign=campaign)
        return CampaignBatch(sent=sent, next_after=None)
    return CampaignBatch(sent=sent, next_after=candidates[-1].pk)


def _campaign_send_to(
    *, campaign: Campaign, messages: dict[str, CampaignMessage], user: User
) -> bool:
    if not selectors.marketing_allowed(user=user):
        return False
    message = selectors.campaign_message_for(
        messages=messages,
        language=selectors.recipient_language(user=user),
        fallback=campaign.fallback_language,
    )
    try:
        with transaction.atomic():
            recipient = CampaignRecipient.objects.create(
                campaign=campaign, user=user, language=message.language, sent_at=timezone.now()
            )
            with translation.override(message.language):
                notification = notify(
                    user=user,
                    kind=campaign.kind,
                    template=CAMPAIGN_TEMPLATE,
                    context={"campaign_subject": message.subject, "campaign_body": message.body},
                    campaign_public_id=campaign.public_id,
                )
            if notification is None:
                # Every channel of this kind turned off: nothing went, nothing to count.
                transaction.set_rollback(True)
                return False
            recipient.notification = notification
            recipient.save(update_fields=["notification"])
    except IntegrityError:
        # Already sent by an earlier run of this batch.
        return False
    return True


def _campaign_finish(*, campaign: Campaign) -> None:
    now = timezone.now()
    with transaction.atomic():
        finished = Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.SENDING).update(
            status=Campaign.Status.SENT, finished_at=now, updated_at=now
        )
        if finished:
            CampaignEvent.objects.create(
                campaign=campaign,
                from_status=Campaign.Status.SENDING,
                to_status=Campaign.Status.SENT,
                note=f"sent to {campaign.recipients.count()} customers",
            )


CAMPAIGN_STALLED_AFTER = timedelta(minutes=15)


def campaigns_resume(*, now: Any = None) -> list[int]:
    """Campaigns still sending with no batch for a while (the queue lost the
    job): start them again from the first batch. Who already got the email
    is skipped by their recipient row, so this never sends twice."""
    moment = now or timezone.now()
    stalled = list(
        Campaign.objects.filter(
            status=Campaign.Status.SENDING, updated_at__lt=moment - CAMPAIGN_STALLED_AFTER
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for campaign_id in stalled:
        Campaign.objects.filter(pk=campaign_id).update(updated_at=moment)
        enqueue_on_commit(campaign_send_batch_task, campaign_id, 0)
    return stalled


def campaign_unsubscribe_count(*, campaign_public_id: uuid.UUID, user: User) -> bool:
    """Count an unsubscribe for the campaign whose link was used (once)."""
    return bool(
        CampaignRecipient.objects.filter(
            campaign__public_id=campaign_public_id, user=user, unsubscribed_at__isnull=True
        ).update(unsubscribed_at=timezone.now())
    )
