"""Messages we sent you, the outbox of emails, and your notification choices."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy

from roamwise.datamap.registry import (
    A_LINK,
    JOB_BOOKKEEPING,
    KEY_NAME,
    ROW_BOOKKEEPING,
    Declaration,
    Erasure,
    NotPersonal,
    PersonalField,
    Retention,
    Sends,
    data_map,
)


# A message belongs to its recipient's account, and to the person whose keys
# seal it when it went to an address without an account on their behalf: the
# parent asked to consent to a child's account (the child's key), the visitor
# who wrote to support before signing up (their ticket's key).
def _notifications_of(user: Any) -> QuerySet:
    from roamwise.datamap.selectors import keys_of

    from .models import Notification

    return Notification.objects.filter(Q(user=user) | Q(key_subject__in=keys_of(user)))


def _emails_of(user: Any) -> QuerySet:
    from roamwise.datamap.selectors import keys_of

    from .models import OutboundEmail

    return OutboundEmail.objects.filter(
        Q(notification__user=user) | Q(key_subject__in=keys_of(user))
    )


data_map.declare(
    Declaration(
        model="notifications.Notification",
        label=gettext_lazy("Notifications"),
        subject=_notifications_of,
        description=gettext_lazy(
            "Messages we sent you (title and what they were about), and whether you read them."
        ),
        fields=(
            PersonalField("user", "user.unique_id"),
            PersonalField("title", "user.account.settings"),
            PersonalField("body", "user.account.settings"),
            PersonalField("kind", "user.account.settings"),
            PersonalField("link", "user.account.settings"),
            PersonalField("read_at", "user.behavior.browsing_history"),
            PersonalField("created_at", "user.account.settings"),
            PersonalField("template", "user.account.settings"),
            PersonalField("in_site", "user.account.settings"),
        ),
        purposes=("service", "account"),
        legal_basis="contract",
        retention=Retention.after(365, anchor="created_at", summary="1 year, then deleted"),
        erasure=Erasure.delete(),
        recipients=("hosting",),
    )
)

data_map.declare(
    Declaration(
        model="notifications.OutboundEmail",
        label=gettext_lazy("Emails to you"),
        subject=_emails_of,
        description=gettext_lazy(
            "Emails waiting to be sent: address and content, sealed with your key. Once an "
            "email is sent only its metadata stays (kind, time, attempts)."
        ),
        fields=(
            PersonalField("recipient", "user.contact.email"),
            PersonalField("subject_line", "user.account.settings"),
            PersonalField("text_body", "user.account.settings"),
            PersonalField("html_body", "user.account.settings"),
            PersonalField("headers", "user.account.settings"),
            PersonalField("attachments", "user.account.settings"),
            PersonalField("last_error", "user.contact.email"),
            PersonalField("sent_at", "user.account.settings"),
            PersonalField("message_id", "user.account.settings"),
            PersonalField("kind", "user.account.settings"),
            PersonalField("template", "user.account.settings"),
            PersonalField("status", "user.account.settings"),
        ),
        purposes=("service",),
        legal_basis="contract",
        retention=Retention.after(
            365, anchor="created_at", summary="Content until sent; metadata 1 year, then deleted"
        ),
        erasure=Erasure.delete(),
        recipients=("email", "hosting"),
    )
)

data_map.declare(
    Declaration(
        model="notifications.Preference",
        label=gettext_lazy("Notification preferences"),
        subject="user",
        description=gettext_lazy("Which notifications you want, by kind and channel (RGT-07)."),
        fields=(
            PersonalField("kind", "user.account.settings"),
            PersonalField("channel", "user.account.settings"),
            PersonalField("enabled", "user.account.settings"),
        ),
        purposes=("account", "marketing"),
        legal_basis="contract",
        retention=Retention.account_lifetime(),
        erasure=Erasure.delete(),
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "notifications.Notification",
        fields=("updated_at", "public_id"),
        reason=ROW_BOOKKEEPING,
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "notifications.Notification",
        fields=("key_subject",),
        reason=KEY_NAME,
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "notifications.OutboundEmail",
        fields=("created_at", "updated_at", "public_id"),
        reason=ROW_BOOKKEEPING,
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "notifications.OutboundEmail",
        fields=("notification",),
        reason=A_LINK,
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "notifications.OutboundEmail",
        fields=("key_subject",),
        reason=KEY_NAME,
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "notifications.OutboundEmail",
        fields=("attempts", "next_attempt_at", "lease_until", "size_bytes", "attachment_count"),
        reason=JOB_BOOKKEEPING,
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "notifications.Preference",
        fields=("created_at", "updated_at"),
        reason=ROW_BOOKKEEPING,
    )
)

# --- Campaigns ----------------------------------------------------------------

data_map.declare(
    Declaration(
        model="notifications.CampaignRecipient",
        label=gettext_lazy("Promotions we sent you"),
        subject="user",
        description=gettext_lazy(
            "Which promotions we sent you (you had opted in), in which language, and "
            "whether you unsubscribed through one of them."
        ),
        fields=(
            PersonalField("user", "user.unique_id"),
            PersonalField("language", "user.account.settings"),
            PersonalField("sent_at", "user.account.settings"),
            PersonalField("unsubscribed_at", "user.account.settings"),
        ),
        purposes=("marketing",),
        legal_basis="consent",
        retention=Retention.after(365, anchor="sent_at", summary="1 year, then deleted"),
        erasure=Erasure.delete(),
        recipients=("hosting",),
    )
)

data_map.declare(
    Declaration(
        model="notifications.CampaignEvent",
        label=gettext_lazy("Campaigns sent by staff"),
        subject="actor",
        description=gettext_lazy("Which staff member started sending each campaign, and when."),
        fields=(
            PersonalField("note", "user.staff.activity"),
            PersonalField("from_status", "user.staff.activity"),
            PersonalField("to_status", "user.staff.activity"),
            PersonalField("created_at", "user.staff.activity"),
        ),
        purposes=("security",),
        legal_basis="legitimate_interest",
        retention=Retention.after(3 * 365, anchor="created_at", summary="3 years, then deleted"),
        erasure=Erasure.delete(),
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "notifications.Campaign",
        fields=(
            "name",
            "kind",
            "fallback_language",
            "status",
            "scheduled_at",
            "finished_at",
        ),
        reason="What staff wrote for everyone who opted in, and when it went; nobody's data.",
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "notifications.Campaign",
        fields=("created_at", "updated_at", "public_id"),
        reason=ROW_BOOKKEEPING,
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "notifications.CampaignMessage",
        fields=("language", "subject", "body"),
        reason="A campaign's text, the same for every recipient; nobody's data.",
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "notifications.CampaignMessage",
        fields=("created_at", "updated_at"),
        reason=ROW_BOOKKEEPING,
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "notifications.CampaignMessage",
        fields=("campaign",),
        reason=A_LINK,
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "notifications.CampaignRecipient",
        fields=("campaign", "notification"),
        reason=A_LINK,
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "notifications.CampaignEvent",
        fields=("campaign",),
        reason=A_LINK,
    )
)

# What the email adapter sends to the delivery provider (SHR-02): each
# message as the outbox holds it (address, subject, text, attachments), and
# so what the messages carry: receipts with their invoice, eSIM and data
# alerts, support replies, privacy request updates, a parent's consent link.
EMAIL_SENDS = data_map.declare_sends(
    Sends(
        recipient="email",
        adapter="roamwise.notifications.services",
        categories=(
            "user.account.settings",
            "user.behavior.purchase_history",
            "user.contact.address",
            "user.contact.email",
            "user.contact.parent_email",
            "user.contact.requester_email",
            "user.content.support",
            "user.name",
            "user.network.usage",
            "user.privacy.requests",
        ),
    )
)
